#include <doctest/doctest.h>

#include "app/watch_url.hpp"

using namespace ledgerflow;

TEST_CASE("a ws URL gives host, port and the path with its query") {
  auto url = parse_websocket_url("ws://127.0.0.1:8080/v1/ws?x=1");
  REQUIRE(url);
  CHECK_FALSE(url->tls);
  CHECK(url->host == "127.0.0.1");
  CHECK(url->port == "8080");
  CHECK(url->target == "/v1/ws?x=1");
  CHECK(host_header(*url) == "127.0.0.1:8080");
}

TEST_CASE("a wss URL without port or path means port 443 and /v1/ws") {
  auto url = parse_websocket_url("wss://ledger.example.com");
  REQUIRE(url);
  CHECK(url->tls);
  CHECK(url->port == "443");
  CHECK(url->target == "/v1/ws");
  CHECK(host_header(*url) == "ledger.example.com");
  CHECK_FALSE(host_is_ip_address(url->host));
}

TEST_CASE("an IPv6 literal loses its brackets for connecting and keeps them in the Host header") {
  auto url = parse_websocket_url("ws://[::1]:9000/v1/ws");
  REQUIRE(url);
  CHECK(url->host == "::1");
  CHECK(url->port == "9000");
  CHECK(host_header(*url) == "[::1]:9000");
  CHECK(host_is_ip_address(url->host));
}

TEST_CASE("URLs a WebSocket client cannot use are refused with a reason") {
  for (auto text : {"http://127.0.0.1:8080/v1/ws", "ws://", "ws://:8080/v1/ws", "ws://host:/v1/ws",
                    "ws://host:99999/v1/ws", "ws://host:80a/v1/ws", "ws://user@host/v1/ws", "ws://host/v1/ws#x",
                    "ws://[::1/v1/ws", "127.0.0.1:8080"}) {
    CAPTURE(text);
    auto url = parse_websocket_url(text);
    REQUIRE_FALSE(url);
    CHECK(url.error().code == error_code::bad_request);
  }
}
