#include <doctest/doctest.h>

#include "gateway/ws/ws_handshake.hpp"
#include "gateway/ws/ws_ops.hpp"

using namespace ledgerflow;
using namespace ledgerflow::ws;

namespace {

upgrade_headers valid_headers() {
  upgrade_headers headers;
  headers.is_get = true;
  headers.connection = "keep-alive, Upgrade";
  headers.upgrade = "websocket";
  headers.version = "13";
  headers.key = "dGhlIHNhbXBsZSBub25jZQ==";
  headers.host = "127.0.0.1:8080";
  return headers;
}

} // namespace

TEST_CASE("the accept key is the one RFC 6455 gives for its sample nonce") {
  CHECK(accept_key_for("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST_CASE("a valid upgrade is accepted in JSON unless msgpack is offered") {
  auto plain = check_upgrade(valid_headers());
  REQUIRE(plain);
  CHECK(plain->format == frame_format::json);
  CHECK(plain->subprotocol.empty());
  auto offered = valid_headers();
  offered.protocols = "chat, ledgerflow.v1.msgpack";
  auto packed = check_upgrade(offered);
  REQUIRE(packed);
  CHECK(packed->format == frame_format::msgpack);
  CHECK(packed->subprotocol == "ledgerflow.v1.msgpack");
  auto response = switching_protocols_response(*packed);
  CHECK(response.find("Sec-WebSocket-Protocol: ledgerflow.v1.msgpack\r\n") != std::string::npos);
  CHECK(response.rfind("\r\n\r\n") == response.size() - 4);
}

TEST_CASE("malformed upgrades are refused as bad requests") {
  auto refused = [](upgrade_headers headers) {
    auto result = check_upgrade(headers);
    return !result && result.error().code == error_code::bad_request;
  };
  auto headers = valid_headers();
  headers.is_get = false;
  CHECK(refused(headers));
  headers = valid_headers();
  headers.version = "8";
  CHECK(refused(headers));
  headers = valid_headers();
  headers.key = "short";
  CHECK(refused(headers));
  headers = valid_headers();
  headers.connection = "keep-alive";
  CHECK(refused(headers));
}

TEST_CASE("origins: none, the server's own, listed ones or any with *") {
  std::vector<std::string> none;
  CHECK(origin_allowed("", "127.0.0.1:8080", none));
  CHECK(origin_allowed("http://127.0.0.1:8080", "127.0.0.1:8080", none));
  CHECK_FALSE(origin_allowed("https://evil.example", "127.0.0.1:8080", none));
  CHECK_FALSE(origin_allowed("null", "127.0.0.1:8080", none));
  std::vector<std::string> listed{"https://app.example.com"};
  CHECK(origin_allowed("https://APP.example.com", "api.example.com", listed));
  CHECK_FALSE(origin_allowed("https://app.example.com.evil.io", "api.example.com", listed));
  CHECK(origin_allowed("https://anything.io", "api.example.com", {"*"}));
}

TEST_CASE("client ops parse, and mistakes name what is wrong") {
  using nlohmann::json;
  auto op = parse_client_op(json::parse(R"({"op":"subscribe","id":"r1","accounts":["user:a",{"account":"user:b","since_seq":7}]})"), 10);
  REQUIRE(op);
  CHECK(op->type == client_op::kind::subscribe);
  CHECK(op->id == "r1");
  REQUIRE(op->accounts.size() == 2);
  CHECK_FALSE(op->accounts[0].since_seq.has_value());
  CHECK(op->accounts[1].since_seq == 7u);
  auto message_of = [](const char* text) {
    auto parsed = parse_client_op(json::parse(text), 2);
    return parsed ? std::string("ok") : parsed.error().message;
  };
  CHECK(message_of(R"({"op":"dance"})").find("unknown op") != std::string::npos);
  CHECK(message_of(R"({"op":"subscribe","accounts":[]})").find("non-empty") != std::string::npos);
  CHECK(message_of(R"({"op":"subscribe","accounts":["user:a","user:b","user:c"]})").find("at most 2") != std::string::npos);
  CHECK(message_of(R"({"op":"subscribe","accounts":["user:a","user:a"]})").find("twice") != std::string::npos);
  CHECK(message_of(R"({"op":"subscribe","accounts":[{"account":"user:a","since_seq":-1}]})").find("since_seq") != std::string::npos);
  CHECK(message_of(R"({"op":"subscribe","accounts":["NOT AN ID"]})") != "ok");
  CHECK(message_of(R"({"op":"unsubscribe","accounts":[{"account":"user:a"}]})").find("string") != std::string::npos);
  CHECK(message_of(R"({"op":"ping","id":5})").find("id must be") != std::string::npos);
  CHECK(message_of(R"([1,2])").find("object") != std::string::npos);
  CHECK(message_of(R"({"op":"ping"})") == "ok");
}
