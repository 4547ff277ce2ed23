#include "gateway/ws/ws_frame.hpp"

namespace ledgerflow::ws {

namespace {

constexpr uint8_t fin_bit = 0x80;
constexpr uint8_t rsv_bits = 0x70;
constexpr uint8_t opcode_bits = 0x0F;
constexpr uint8_t mask_bit = 0x80;
constexpr uint8_t length_bits = 0x7F;
constexpr uint8_t length_16 = 126;
constexpr uint8_t length_64 = 127;

bool is_control(opcode op) {
  return static_cast<uint8_t>(op) >= 0x8;
}

bool is_known(uint8_t op) {
  switch (op) {
    case 0x0: case 0x1: case 0x2: case 0x8: case 0x9: case 0xA: return true;
    default: return false;
  }
}

void append_header(std::string& out, opcode op, uint64_t length) {
  out.push_back(static_cast<char>(fin_bit | static_cast<uint8_t>(op)));
  if (length < length_16) {
    out.push_back(static_cast<char>(length));
  } else if (length <= 0xFFFF) {
    out.push_back(static_cast<char>(length_16));
    out.push_back(static_cast<char>(length >> 8));
    out.push_back(static_cast<char>(length & 0xFF));
  } else {
    out.push_back(static_cast<char>(length_64));
    for (int shift = 56; shift >= 0; shift -= 8)
      out.push_back(static_cast<char>((length >> shift) & 0xFF));
  }
}

} // namespace

std::string encode_frame(opcode op, std::string_view payload) {
  std::string frame;
  frame.reserve(payload.size() + 10);
  append_header(frame, op, payload.size());
  frame.append(payload.data(), payload.size());
  return frame;
}

std::string encode_close(close_code code, std::string_view reason) {
  auto value = static_cast<uint16_t>(code);
  std::string payload;
  payload.push_back(static_cast<char>(value >> 8));
  payload.push_back(static_cast<char>(value & 0xFF));
  // Cut on a UTF-8 boundary: the reason must stay valid text.
  auto room = control_payload_max - payload.size();
  if (reason.size() > room) {
    reason = reason.substr(0, room);
    while (!reason.empty() && !is_valid_utf8(reason))
      reason.remove_suffix(1);
  }
  payload.append(reason.data(), reason.size());
  return encode_frame(opcode::close, payload);
}

header_parse parse_client_header(std::string_view bytes) {
  header_parse result;
  if (bytes.size() < 2)
    return result;
  auto first = static_cast<uint8_t>(bytes[0]);
  auto second = static_cast<uint8_t>(bytes[1]);
  auto violation = [&](const char* why) {
    result.status = parse_status::violation;
    result.why = why;
    return result;
  };
  if (first & rsv_bits)
    return violation("reserved bits set without an extension");
  if (!is_known(first & opcode_bits))
    return violation("unknown opcode");
  auto& header = result.header;
  header.fin = (first & fin_bit) != 0;
  header.op = static_cast<opcode>(first & opcode_bits);
  header.masked = (second & mask_bit) != 0;
  if (!header.masked)
    return violation("client frames must be masked");
  uint64_t length = second & length_bits;
  size_t offset = 2;
  if (length == length_16 || length == length_64) {
    size_t extra = length == length_16 ? 2 : 8;
    if (bytes.size() < offset + extra)
      return result;
    length = 0;
    for (size_t i = 0; i < extra; ++i)
      length = (length << 8) | static_cast<uint8_t>(bytes[offset + i]);
    offset += extra;
    // RFC 6455 5.2: the minimal encoding must be used, and the top bit of 64 bits is zero.
    if ((extra == 2 && length < length_16) || (extra == 8 && (length <= 0xFFFF || (length >> 63) != 0)))
      return violation("payload length not minimally encoded");
  }
  if (is_control(header.op) && (!header.fin || length > control_payload_max))
    return violation("control frames must be final and at most 125 bytes");
  if (bytes.size() < offset + 4)
    return result;
  for (size_t i = 0; i < 4; ++i)
    header.mask[i] = static_cast<uint8_t>(bytes[offset + i]);
  offset += 4;
  header.payload_bytes = length;
  header.header_bytes = offset;
  result.status = parse_status::ok;
  return result;
}

void unmask(char* payload, size_t bytes, const uint8_t mask[4], uint64_t offset) {
  for (size_t i = 0; i < bytes; ++i)
    payload[i] = static_cast<char>(static_cast<uint8_t>(payload[i]) ^ mask[(offset + i) & 3]);
}

bool is_valid_utf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    auto lead = static_cast<uint8_t>(text[i]);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    size_t length = 0;
    uint32_t code = 0;
    uint32_t smallest = 0;
    if ((lead & 0xE0) == 0xC0) {
      length = 2, code = lead & 0x1F, smallest = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3, code = lead & 0x0F, smallest = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4, code = lead & 0x07, smallest = 0x10000;
    } else {
      return false;
    }
    if (i + length > text.size())
      return false;
    for (size_t k = 1; k < length; ++k) {
      auto next = static_cast<uint8_t>(text[i + k]);
      if ((next & 0xC0) != 0x80)
        return false;
      code = (code << 6) | (next & 0x3F);
    }
    if (code < smallest || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))
      return false;
    i += length;
  }
  return true;
}

} // namespace ledgerflow::ws
