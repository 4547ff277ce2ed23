// What the HTTP provider adapter puts on the wire and how it reads the answer, without any
// networking: the provider's URL, each call's target and JSON body, and the mapping from an
// HTTP status and body to a call_outcome (which failures are worth a retry). Kept apart from
// the Beast client so the rules are plain functions that tests can call directly.
//
//   request   POST {path}/v1/{kind}/{operation}, a JSON object of the call's string fields
//   200..299  a JSON object whose result fields are strings -> success, else "bad_response"
//   408, 429, 5xx                                           -> transient "http_<status>"
//   any other status                                        -> rejected  "http_<status>"
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocols/provider_call.hpp"
#include "protocols/provider_operations.hpp"

namespace ledgerflow {

namespace http_provider_limits {
// A provider's answer is a handful of short strings; anything longer is not one.
inline constexpr size_t response_body_bytes_max = 64 * 1024;
inline constexpr size_t response_header_bytes_max = 16 * 1024;
// Calls waiting for a connection when all connections_max are busy; beyond it a call is
// refused at once (unavailable) rather than queued without bound.
inline constexpr size_t waiting_calls_max = 4'096;
inline constexpr size_t header_value_length_max = 4 * 1024;
} // namespace http_provider_limits

struct provider_url {
  bool tls = false;
  std::string host;
  uint16_t port = 0;
  std::string path;  // without a trailing slash: "" or "/api"
};

// http://host[:port][/path] or https://...; nothing when `text` is not such a URL.
std::optional<provider_url> parse_provider_url(std::string_view text);

// The Host header's value: the port only when it is not the scheme's default.
std::string host_header(const provider_url& url);
std::string request_target(const provider_url& url, provider_kind kind, std::string_view operation);
std::string request_body(const provider_fields& fields);

// Whether `value` may travel in an HTTP header as it is (visible ASCII and spaces, no line
// breaks, so a key or a configured secret can never inject a header).
bool is_header_value_safe(std::string_view value);

call_outcome outcome_of_response(const provider_operation_spec& spec, unsigned status, std::string_view body);

} // namespace ledgerflow
