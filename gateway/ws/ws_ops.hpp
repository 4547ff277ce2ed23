// The client's operations on the stream (docs/websocket.md), parsed and checked from the
// decoded message (JSON or msgpack, both decoded to JSON values first).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocols/outcome.hpp"

namespace ledgerflow::ws {

struct subscription_request {
  std::string account;
  std::optional<uint64_t> since_seq;
};

struct client_op {
  enum class kind { subscribe, unsubscribe, ping } type = kind::ping;
  std::string id;                                  // echoed in the answer; may be empty
  std::vector<subscription_request> accounts;      // subscribe and unsubscribe
};

// Best effort: the request id of a message that failed to parse, so the error can carry it.
std::string request_id_of(const nlohmann::json& message);

// bad_request saying what is wrong: not an object, unknown op, missing or mistyped field,
// a malformed account id, an account listed twice, more than `accounts_max` accounts.
outcome<client_op> parse_client_op(const nlohmann::json& message, size_t accounts_max);

} // namespace ledgerflow::ws
