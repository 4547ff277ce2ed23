// The WebSocket opening handshake (RFC 6455 section 4.2) on the server side, as plain
// functions over header values: is this a valid upgrade, which frame format the client
// asked for, whether its Origin may connect, and the 101 answer.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/outcome.hpp"

namespace ledgerflow::ws {

enum class frame_format { json, msgpack };

inline constexpr std::string_view msgpack_subprotocol = "ledgerflow.v1.msgpack";
inline constexpr std::string_view json_subprotocol = "ledgerflow.v1.json";

// The header values of an upgrade request that the handshake looks at.
struct upgrade_headers {
  bool is_get = false;
  std::string_view connection;  // must list "upgrade"
  std::string_view upgrade;     // must be "websocket"
  std::string_view version;     // must be "13"
  std::string_view key;         // base64 of 16 bytes
  std::string_view protocols;   // Sec-WebSocket-Protocol, comma-separated offers
  std::string_view origin;
  std::string_view host;
};

// Whether the request asks for a WebSocket at all (Upgrade: websocket), valid or not.
bool wants_websocket(std::string_view upgrade_header);

struct accepted_upgrade {
  std::string accept_key;    // Sec-WebSocket-Accept
  frame_format format = frame_format::json;
  std::string subprotocol;   // echoed in the 101 answer; empty when none was offered
};

// bad_request saying what is wrong when the request is not a version-13 upgrade.
outcome<accepted_upgrade> check_upgrade(const upgrade_headers& headers);

// A browser's page may open a socket only from an allowed origin: the server's own (the
// Origin's host equals Host), one listed, or any when "*" is listed. Clients that send no
// Origin (not browsers) are allowed: the token still guards them.
bool origin_allowed(std::string_view origin, std::string_view host, const std::vector<std::string>& allowed);

// The whole 101 Switching Protocols answer.
std::string switching_protocols_response(const accepted_upgrade& upgrade);

// base64(SHA-1(key + RFC 6455 GUID)).
std::string accept_key_for(std::string_view key);

} // namespace ledgerflow::ws
