// WebSocket framing (RFC 6455 section 5) as the server needs it: a strict parser for client
// frames and the encoder of server frames. Free of Beast and sockets, so it is tested byte by
// byte. The server writes frames itself (not through beast::websocket) because a pushed
// update is encoded once, header included, and the same bytes go to every subscriber, many
// frames per system call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ledgerflow::ws {

enum class opcode : uint8_t { continuation = 0x0, text = 0x1, binary = 0x2, close = 0x8, ping = 0x9, pong = 0xA };

// Close status codes the server sends (RFC 6455 7.4.1, IANA registry).
enum class close_code : uint16_t {
  normal = 1000,
  going_away = 1001,
  protocol_error = 1002,
  invalid_payload = 1007,  // a text message that is not UTF-8
  policy_violation = 1008,
  message_too_big = 1009,
  try_again_later = 1013,
};

// The longest header: 2 bytes, 8 of extended length, 4 of mask (server frames have none).
inline constexpr size_t frame_header_bytes_max = 14;
inline constexpr size_t control_payload_max = 125;

// One complete server frame (FIN set, never masked).
std::string encode_frame(opcode op, std::string_view payload);
// The close frame: code and a reason cut to fit the 125-byte control payload.
std::string encode_close(close_code code, std::string_view reason);

struct frame_header {
  bool fin = false;
  opcode op = opcode::text;
  bool masked = false;
  uint8_t mask[4] = {0, 0, 0, 0};
  uint64_t payload_bytes = 0;
  size_t header_bytes = 0;
};

enum class parse_status {
  need_more,   // not a whole header yet
  ok,          // header parsed; the payload follows it
  violation,   // the peer broke the protocol: close 1002 with `why`
};

struct header_parse {
  parse_status status = parse_status::need_more;
  frame_header header;
  const char* why = "";
};

// Parses a client frame's header from the start of `bytes`. Client frames must be masked,
// must not set RSV bits (no extension is negotiated), must use a known opcode, and control
// frames must be final and at most 125 bytes. The payload length is not checked against any
// message limit here: the caller does that before waiting for the payload.
header_parse parse_client_header(std::string_view bytes);

// XORs `payload` in place with the frame's mask, `offset` bytes into the payload.
void unmask(char* payload, size_t bytes, const uint8_t mask[4], uint64_t offset = 0);

// Whether `text` is well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
bool is_valid_utf8(std::string_view text);

} // namespace ledgerflow::ws
