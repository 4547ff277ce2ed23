#include <doctest/doctest.h>

#include <thread>

#include "tests/gateway/gateway_fixture.hpp"

using namespace ledgerflow;
using namespace ledgerflow::testing;

TEST_CASE_FIXTURE(gateway_fixture, "healthz answers 200 ok on an ephemeral port") {
  CHECK(port() != 0);
  auto reply = http_get(port(), "/healthz");
  CHECK(reply.status == 200);
  CHECK(reply.json() == nlohmann::json{{"status", "ok"}});
  CHECK(reply.header("content-type") == "application/json");
}

TEST_CASE_FIXTURE(gateway_fixture, "readyz follows the ledger's readiness") {
  CHECK(http_get(port(), "/readyz").status == 200);
  ledger.set_ready(false);
  auto reply = http_get(port(), "/readyz");
  CHECK(reply.status == 503);
  CHECK(reply.error_code() == "unavailable");
  ledger.set_ready(true);
  CHECK(http_get(port(), "/readyz").status == 200);
}

TEST_CASE_FIXTURE(gateway_fixture, "an unknown route is 404 not_found and the server keeps serving") {
  for (const char* target : {"/nope", "/v1", "/v1/accounts", "/v1/accounts/", "/healthz/", "/v1/transfers/x"}) {
    CAPTURE(target);
    auto reply = http_get(port(), target, admin_token);
    CHECK(reply.status == 404);
    CHECK(reply.error_code() == "not_found");
  }
  CHECK(healthy());
}

TEST_CASE_FIXTURE(gateway_fixture, "a known path with the wrong method is 405 with Allow") {
  auto reply = http_post(port(), "/healthz", "{}");
  CHECK(reply.status == 405);
  CHECK(reply.error_code() == "method_not_allowed");
  CHECK(reply.header("allow") == "GET, HEAD");
  http_client client(port());
  auto get_transfers = client.get("/v1/transfers", admin_token);
  CHECK(get_transfers.status == 405);
  CHECK(get_transfers.header("allow") == "POST");
  CHECK(healthy());
}

TEST_CASE_FIXTURE(gateway_fixture, "HEAD on a GET route is answered like GET, with its Content-Length and no body") {
  http_client client(port());
  for (const char* target : {"/healthz", "/readyz", "/v1/accounts/user:alice", "/v1/accounts/user:alice/entries"}) {
    CAPTURE(target);
    auto get = client.get(target, alice_token);
    auto head = client.head(target, alice_token);
    REQUIRE_MESSAGE(head.status == 200, head.transport_error);
    CHECK(head.body.empty());
    CHECK(head.header("content-type") == get.header("content-type"));
    CHECK(head.header("content-length") == std::to_string(get.body.size()));
    // No body bytes followed the header: the next response on this connection parses.
    CHECK(client.get("/healthz").json() == nlohmann::json{{"status", "ok"}});
  }
  auto metrics = client.head("/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.body.empty());
  CHECK(std::stoul(metrics.header("content-length")) > 0);
  CHECK(client.get("/healthz").status == 200);
  CHECK_FALSE(client.closed_by_server(std::chrono::milliseconds(100)));
  CHECK(http_get(port(), "/metrics").body.find(R"(route="/healthz",method="HEAD",status="200"} 1)") != std::string::npos);
}

TEST_CASE_FIXTURE(gateway_fixture, "HEAD answers errors without a body too") {
  http_client client(port());
  auto unauthorized = client.head("/v1/accounts/user:alice");
  CHECK(unauthorized.status == 401);
  CHECK(unauthorized.body.empty());
  CHECK_FALSE(unauthorized.header("content-length").empty());
  CHECK(client.head("/nope").status == 404);
  auto post_only = client.head("/v1/transfers", admin_token);
  CHECK(post_only.status == 405);
  CHECK(post_only.header("allow") == "POST");
  CHECK(client.get("/healthz").json() == nlohmann::json{{"status", "ok"}});
}

TEST_CASE_FIXTURE(gateway_fixture, "one connection carries several requests (keep-alive)") {
  http_client client(port());
  for (int i = 0; i < 3; ++i) {
    auto reply = client.get("/healthz");
    REQUIRE_MESSAGE(reply.status == 200, reply.transport_error);
  }
  CHECK(client.get("/nope").status == 404);
  CHECK(client.get("/healthz").status == 200);
  CHECK_FALSE(client.closed_by_server(std::chrono::milliseconds(100)));
}

TEST_CASE_FIXTURE(gateway_fixture, "a request asking to close gets its answer and then the connection closes") {
  http_client client(port());
  auto reply = client.send("GET", "/healthz", "", {{"Connection", "close"}});
  CHECK(reply.status == 200);
  CHECK(reply.header("connection") == "close");
}

TEST_CASE_FIXTURE(gateway_fixture, "a body over the limit is 413 payload_too_large and the server keeps serving") {
  std::string body = R"({"pad":")" + std::string(limits::http_body_bytes_max, 'x') + "\"}";
  auto reply = http_post(port(), "/v1/transfers", body, admin_token);
  CHECK(reply.status == 413);
  CHECK(reply.error_code() == "payload_too_large");
  CHECK(reply.header("connection") == "close");
  CHECK(ledger.transfer_calls() == 0);
  CHECK(healthy());
}

TEST_CASE_FIXTURE(gateway_fixture, "a chunked body over the limit is 413 as well") {
  std::string chunk(limits::http_body_bytes_max / 2 + 1, 'x');
  char size_line[32];
  std::snprintf(size_line, sizeof(size_line), "%zx\r\n", chunk.size());
  std::string raw = "POST /v1/transfers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + admin_token
                    + "\r\nTransfer-Encoding: chunked\r\n\r\n" + size_line + chunk + "\r\n" + size_line + chunk
                    + "\r\n0\r\n\r\n";
  http_client client(port());
  auto reply = client.send_raw(raw);
  CHECK(reply.status == 413);
  CHECK(ledger.transfer_calls() == 0);
  CHECK(healthy());
}

TEST_CASE_FIXTURE(gateway_fixture, "headers over the limit are a bad request") {
  http_client client(port());
  auto reply = client.send("GET", "/healthz", "", {{"X-Padding", std::string(limits::http_header_bytes_max, 'p')}});
  CHECK(reply.status == 400);
  CHECK(reply.error_code() == "bad_request");
  CHECK(healthy());
}

TEST_CASE_FIXTURE(gateway_fixture, "bytes that are not HTTP get 400 and the server keeps serving") {
  http_client client(port());
  auto reply = client.send_raw("HELLO THERE\r\n\r\n");
  CHECK(reply.status == 400);
  CHECK(reply.error_code() == "bad_request");
  http_client other(port());
  auto bad_length = other.send_raw("POST /v1/transfers HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n");
  CHECK(bad_length.status == 400);
  CHECK(healthy());
}

TEST_CASE_FIXTURE(gateway_fixture, "a client that sends Expect: 100-continue is told to go on, then answered") {
  http_client client(port(), std::chrono::seconds(2));
  auto interim = client.send_raw("POST /v1/transfers HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                                 "Content-Length: 2\r\n\r\n");
  CHECK(interim.status == 100);
  auto reply = client.send_raw("{}");
  CHECK(reply.status == 401);
}

TEST_CASE("start fails with a clear message when the port is in use") {
  fake_ledger ledger;
  http_server first(test_gateway_config(), ledger);
  REQUIRE(first.start());
  auto config = test_gateway_config();
  config.listen.port = first.port();
  http_server second(config, ledger);
  auto started = second.start();
  REQUIRE_FALSE(started);
  CHECK(started.error().code == error_code::unavailable);
  CHECK(started.error().message.find("cannot listen on 127.0.0.1:" + std::to_string(first.port())) != std::string::npos);
  CHECK(started.error().message.find("in use") != std::string::npos);
  CHECK(http_get(first.port(), "/healthz").status == 200);
}

TEST_CASE("start refuses a config without a jwt secret") {
  fake_ledger ledger;
  auto config = test_gateway_config();
  config.jwt_secret.clear();
  http_server server(config, ledger);
  auto started = server.start();
  REQUIRE_FALSE(started);
  CHECK(started.error().message.find("jwt secret") != std::string::npos);
}

TEST_CASE("stop ends serving and can be called twice") {
  fake_ledger ledger;
  http_server server(test_gateway_config(), ledger);
  REQUIRE(server.start());
  auto port = server.port();
  CHECK(http_get(port, "/healthz").status == 200);
  server.stop();
  server.stop();
  CHECK(http_get(port, "/healthz").status == 0);
}

TEST_CASE_FIXTURE(gateway_fixture, "metrics are served on the only listener and count requests by route and status") {
  CHECK(http_get(port(), "/healthz").status == 200);
  CHECK(http_get(port(), "/nope").status == 404);
  auto reply = http_get(port(), "/metrics");
  REQUIRE(reply.status == 200);
  CHECK(reply.header("content-type").find("text/plain") == 0);
  CHECK(reply.body.find(R"(ledgerflow_http_requests_total{route="/healthz",method="GET",status="200"} 1)") != std::string::npos);
  CHECK(reply.body.find(R"(ledgerflow_http_requests_total{route="unmatched",method="GET",status="404"} 1)") != std::string::npos);
  CHECK(reply.body.find("ledgerflow_http_connections_open") != std::string::npos);
  CHECK(reply.body.find("fake_ledger_transfer_calls_total 0") != std::string::npos);
}

TEST_CASE("with an admin listener, metrics are served only there") {
  auto config = test_gateway_config();
  config.admin_listen = listen_address{"127.0.0.1", 0};
  gateway_fixture fixture(config);
  auto admin_port = fixture.server->admin_port();
  REQUIRE(admin_port);
  CHECK(*admin_port != fixture.port());
  CHECK(http_get(fixture.port(), "/metrics").status == 404);
  CHECK(http_get(*admin_port, "/metrics").status == 200);
  CHECK(http_get(fixture.port(), "/healthz").status == 200);
  CHECK(http_get(*admin_port, "/healthz").status == 200);
  CHECK(http_get(fixture.port(), "/v1/accounts/user:alice", fixture.alice_token).status == 200);
}

TEST_CASE("a ledger that does not answer in time gets 503, its late answer is dropped") {
  auto config = test_gateway_config();
  config.ledger_timeout_ms = 200;
  gateway_fixture fixture(config);
  fixture.ledger.hold_answers(true);
  http_client client(fixture.port());
  auto started = std::chrono::steady_clock::now();
  auto reply = client.get("/v1/accounts/user:alice", fixture.alice_token);
  auto waited = std::chrono::steady_clock::now() - started;
  CHECK(reply.status == 503);
  CHECK(reply.error_code() == "unavailable");
  CHECK(waited >= std::chrono::milliseconds(200));
  CHECK(waited < std::chrono::seconds(3));

  // The late answer must neither crash nor reach the next request on this connection.
  fixture.ledger.hold_answers(false);
  CHECK(fixture.ledger.release_held_answers() == 1);
  CHECK(client.get("/healthz").json() == nlohmann::json{{"status", "ok"}});
  auto metrics = http_get(fixture.port(), "/metrics");
  CHECK(metrics.body.find("ledgerflow_http_ledger_timeouts_total 1") != std::string::npos);
}

TEST_CASE("a late answer arriving while the next request waits is not taken for its answer") {
  auto config = test_gateway_config();
  config.ledger_timeout_ms = 200;
  gateway_fixture fixture(config);
  fixture.ledger.hold_answers(true);
  http_client client(fixture.port());
  REQUIRE(client.get("/v1/accounts/user:alice", fixture.alice_token).status == 503);
  http_reply next;
  std::thread second([&] { next = client.get("/v1/accounts/user:alice/entries", fixture.alice_token); });
  for (int i = 0; i < 200 && fixture.ledger.read_calls() < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  REQUIRE(fixture.ledger.read_calls() == 2);
  // Both held answers go out in order: the stale account view first, then the entries.
  CHECK(fixture.ledger.release_held_answers() == 2);
  second.join();
  CHECK(next.status == 200);
  CHECK(next.json().contains("entries"));
  CHECK_FALSE(next.json().contains("balances"));
}

TEST_CASE("a ledger answer arriving after the server stopped is dropped safely") {
  fake_ledger ledger;
  auto server = std::make_unique<http_server>(test_gateway_config(), ledger);
  REQUIRE(server->start());
  ledger.deposit("user:alice", "banking/USD", "1");
  ledger.hold_answers(true);
  std::thread client([port = server->port()] {
    http_client c(port, std::chrono::seconds(2));
    c.get("/v1/accounts/user:alice", make_token("ops", {}, token_role::admin));
  });
  // Wait until the request reached the ledger.
  for (int i = 0; i < 200 && ledger.read_calls() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(ledger.read_calls() == 1);
  server.reset();
  CHECK(ledger.release_held_answers() == 1);
  client.join();
}

TEST_CASE("connections past the limit are closed at once, and a freed slot is reused") {
  auto config = test_gateway_config();
  config.connections_max = 1;
  gateway_fixture fixture(config);
  auto first = std::make_unique<http_client>(fixture.port());
  REQUIRE(first->get("/healthz").status == 200);
  http_client second(fixture.port(), std::chrono::seconds(2));
  auto refused = second.get("/healthz");
  CHECK(refused.status == 0);
  first.reset();
  // The server notices the close asynchronously.
  int status = 0;
  for (int i = 0; i < 100 && status != 200; ++i) {
    status = http_get(fixture.port(), "/healthz").status;
    if (status != 200)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(status == 200);
}

TEST_CASE("an idle connection is closed after the read timeout") {
  auto config = test_gateway_config();
  config.read_timeout_ms = 200;
  gateway_fixture fixture(config);
  http_client client(fixture.port());
  REQUIRE(client.get("/healthz").status == 200);
  CHECK(client.closed_by_server(std::chrono::seconds(3)));
}
