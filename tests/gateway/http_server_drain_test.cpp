// http_server::stop() drains: requests in hand are answered, idle and new connections are
// closed or refused, and a ledger that never answers cannot hold stop() past the drain bound.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "tests/gateway/gateway_fixture.hpp"

using namespace ledgerflow;
using namespace ledgerflow::testing;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

namespace {

std::string transfer_body(const std::string& key) {
  return nlohmann::json{
    {"idempotency_key", key},
    {"from", {{"account", "user:alice"}, {"bucket", "banking/USD"}}},
    {"to", {{"account", "user:bob"}, {"bucket", "banking/USD"}}},
    {"amount", "12.50"},
  }.dump();
}

template <class Condition>
bool eventually(Condition condition, milliseconds wait = seconds(3)) {
  auto deadline = steady_clock::now() + wait;
  while (!condition()) {
    if (steady_clock::now() > deadline)
      return false;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return true;
}

// Draining has begun once the listener no longer answers on a fresh connection.
bool refuses_new_connections(uint16_t port) {
  http_client probe(port, seconds(1));
  return probe.get("/healthz").status == 0;
}

} // namespace

TEST_CASE("stop lets a transfer waiting for the ledger write its 201, and turns everyone else away") {
  gateway_fixture fixture;
  http_client idle(fixture.port(), seconds(2));
  REQUIRE(idle.get("/healthz").status == 200);
  fixture.ledger.hold_answers(true);
  http_reply committed;
  std::thread client([&] {
    http_client c(fixture.port());
    committed = c.post("/v1/transfers", transfer_body("drain-1"), fixture.admin_token);
  });
  REQUIRE(eventually([&] { return fixture.ledger.transfer_calls() == 1; }));

  auto stop_began = steady_clock::now();
  std::thread stopper([&] { fixture.server->stop(); });
  REQUIRE(eventually([&] { return refuses_new_connections(fixture.port()); }));

  // A new request on a kept-alive connection: closed, or answered with Connection: close.
  auto asked = steady_clock::now();
  auto late = idle.get("/healthz");
  CHECK((late.status == 0 || late.header("connection") == "close"));
  CHECK(steady_clock::now() - asked < seconds(1));
  CHECK(idle.closed_by_server(seconds(2)));

  // The transfer committed before stop(); its answer still reaches the client, whole.
  CHECK(fixture.ledger.release_held_answers() == 1);
  client.join();
  stopper.join();
  REQUIRE_MESSAGE(committed.status == 201, committed.transport_error);
  CHECK(committed.json()["transfer_id"].is_string());
  CHECK(committed.json()["amount"] == "12.50");
  CHECK(committed.header("connection") == "close");
  // stop() returned once the last connection ended, well before the 5 s bound.
  CHECK(steady_clock::now() - stop_began < seconds(3));
}

TEST_CASE("stop with only idle connections returns at once") {
  gateway_fixture fixture;
  http_client idle(fixture.port(), seconds(2));
  REQUIRE(idle.get("/healthz").status == 200);
  auto stop_began = steady_clock::now();
  fixture.server->stop();
  CHECK(steady_clock::now() - stop_began < seconds(1));
  CHECK(idle.closed_by_server(seconds(1)));
}

TEST_CASE("stop returns within the drain bound when the ledger never answers") {
  auto config = test_gateway_config();
  config.drain_timeout_ms = 300;
  gateway_fixture fixture(config);
  fixture.ledger.hold_answers(true);
  http_reply lost;
  std::thread client([&] {
    http_client c(fixture.port(), seconds(3));
    lost = c.post("/v1/transfers", transfer_body("drain-2"), fixture.admin_token);
  });
  REQUIRE(eventually([&] { return fixture.ledger.transfer_calls() == 1; }));

  auto stop_began = steady_clock::now();
  fixture.server->stop();
  auto stopping = steady_clock::now() - stop_began;
  CHECK(stopping >= milliseconds(250));
  CHECK(stopping < seconds(2));
  fixture.server->stop();  // still idempotent

  // Unanswered at the deadline: dropped as before, and the late answer is harmless.
  fixture.server.reset();
  client.join();
  CHECK(lost.status == 0);
  CHECK(fixture.ledger.release_held_answers() == 1);
}
