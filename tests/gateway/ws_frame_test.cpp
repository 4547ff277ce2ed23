#include <doctest/doctest.h>

#include <string>

#include "gateway/ws/ws_frame.hpp"

using namespace ledgerflow::ws;

namespace {

// A client frame as a browser would send it: masked with `mask`.
std::string client_frame(uint8_t first, const std::string& payload, const std::string& mask = "abcd") {
  std::string frame;
  frame.push_back(static_cast<char>(first));
  if (payload.size() < 126) {
    frame.push_back(static_cast<char>(0x80 | payload.size()));
  } else if (payload.size() <= 0xFFFF) {
    frame.push_back(static_cast<char>(0x80 | 126));
    frame.push_back(static_cast<char>(payload.size() >> 8));
    frame.push_back(static_cast<char>(payload.size() & 0xFF));
  } else {
    frame.push_back(static_cast<char>(0x80 | 127));
    for (int shift = 56; shift >= 0; shift -= 8)
      frame.push_back(static_cast<char>((payload.size() >> shift) & 0xFF));
  }
  frame += mask;
  for (size_t i = 0; i < payload.size(); ++i)
    frame.push_back(static_cast<char>(payload[i] ^ mask[i % 4]));
  return frame;
}

} // namespace

TEST_CASE("server frames carry the payload unmasked after a minimal length") {
  CHECK(encode_frame(opcode::text, "hi") == std::string("\x81\x02hi", 4));
  auto medium = encode_frame(opcode::binary, std::string(300, 'x'));
  CHECK(medium.size() == 4 + 300);
  CHECK(static_cast<uint8_t>(medium[0]) == 0x82);
  CHECK(static_cast<uint8_t>(medium[1]) == 126);
  CHECK(static_cast<uint8_t>(medium[2]) == 0x01);
  CHECK(static_cast<uint8_t>(medium[3]) == 0x2C);
  auto large = encode_frame(opcode::text, std::string(70000, 'y'));
  CHECK(large.size() == 10 + 70000);
  CHECK(static_cast<uint8_t>(large[1]) == 127);
}

TEST_CASE("a close frame carries its code and a reason cut to 123 bytes of valid UTF-8") {
  auto frame = encode_close(close_code::message_too_big, "too big");
  CHECK(static_cast<uint8_t>(frame[0]) == 0x88);
  CHECK(frame.substr(2, 2) == std::string("\x03\xF1", 2));  // 1009
  CHECK(frame.substr(4) == "too big");
  std::string long_reason;
  for (int i = 0; i < 100; ++i)
    long_reason += "\xC3\xA9";  // é, two bytes each
  auto cut = encode_close(close_code::policy_violation, long_reason);
  CHECK(cut.size() <= 2 + control_payload_max);
  CHECK(is_valid_utf8(cut.substr(4)));
}

TEST_CASE("a masked client frame parses and unmasks") {
  auto frame = client_frame(0x81, "{\"op\":\"ping\"}");
  auto parsed = parse_client_header(frame);
  REQUIRE(parsed.status == parse_status::ok);
  CHECK(parsed.header.fin);
  CHECK(parsed.header.op == opcode::text);
  CHECK(parsed.header.payload_bytes == 13);
  std::string payload = frame.substr(parsed.header.header_bytes);
  unmask(payload.data(), payload.size(), parsed.header.mask);
  CHECK(payload == "{\"op\":\"ping\"}");
}

TEST_CASE("a header cut short asks for more bytes") {
  auto frame = client_frame(0x82, std::string(1000, 'z'));
  for (size_t cut = 0; cut < 8; ++cut)
    CHECK(parse_client_header(std::string_view(frame.data(), cut)).status == parse_status::need_more);
  CHECK(parse_client_header(std::string_view(frame.data(), 8)).status == parse_status::ok);
}

TEST_CASE("protocol violations are refused with a reason") {
  auto violation = [](const std::string& frame) { return parse_client_header(frame).status == parse_status::violation; };
  CHECK(violation(std::string("\x81\x02hi", 4)));                  // unmasked
  CHECK(violation(client_frame(0xC1, "x")));                       // RSV1 without an extension
  CHECK(violation(client_frame(0x83, "x")));                       // reserved opcode
  CHECK(violation(client_frame(0x09, "x")));                       // fragmented ping
  CHECK(violation(client_frame(0x89, std::string(126, 'p'))));     // control frame over 125
  std::string overlong("\x81\xFE\x00\x05" "abcd", 8);              // 5 in the 16-bit form
  CHECK(violation(overlong));
  CHECK_FALSE(violation(client_frame(0x8A, "pong")));
}

TEST_CASE("UTF-8 validation refuses overlongs, surrogates and cut sequences") {
  CHECK(is_valid_utf8("plain ascii"));
  CHECK(is_valid_utf8("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x92\xB0"));  // é € 💰
  CHECK_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong '/'
  CHECK_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate
  CHECK_FALSE(is_valid_utf8("\xE2\x82"));          // cut
  CHECK_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  CHECK_FALSE(is_valid_utf8("\xFF"));
}

TEST_CASE("random bytes never make the header parser read past its input or accept an unmasked frame") {
  uint64_t state = 0x9E3779B97F4A7C15ull;
  auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  for (int round = 0; round < 20000; ++round) {
    std::string bytes(next() % 20, '\0');
    for (auto& byte : bytes)
      byte = static_cast<char>(next() & 0xFF);
    auto parsed = parse_client_header(bytes);
    if (parsed.status != parse_status::ok)
      continue;
    CHECK(parsed.header.masked);
    CHECK(parsed.header.header_bytes <= bytes.size());
    CHECK(parsed.header.header_bytes >= 6);
  }
}

TEST_CASE("a valid frame cut anywhere before its header ends asks for more, and whole it parses the same") {
  for (size_t size : {0u, 1u, 125u, 126u, 300u, 65535u, 65536u, 70000u}) {
    auto frame = client_frame(0x82, std::string(size, 'q'));
    auto whole = parse_client_header(frame);
    REQUIRE(whole.status == parse_status::ok);
    CHECK(whole.header.payload_bytes == size);
    for (size_t cut = 0; cut < whole.header.header_bytes; ++cut)
      CHECK(parse_client_header(std::string_view(frame.data(), cut)).status == parse_status::need_more);
  }
}
