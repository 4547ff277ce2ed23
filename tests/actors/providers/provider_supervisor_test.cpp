// The provider supervisor under CAF's deterministic test coordinator: time moves only when a
// test moves it, so retry schedules, timeouts and the open wait are checked to the millisecond.
#include <doctest/doctest.h>

#include <optional>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "actors/providers/provider_messages.hpp"
#include "actors/providers/provider_supervisor.hpp"
#include "tests/support/scripted_adapter.hpp"

using namespace ledgerflow;
using namespace ledgerflow::testing;
using namespace std::chrono_literals;

namespace {

supervisor_settings exact_settings() {
  supervisor_settings settings;
  settings.name = "scripted-payments";
  settings.workers = 2;
  settings.queue_max = 2;
  settings.timeout_ms = 1'000;
  settings.stuck_worker_grace_ms = 5'000;
  settings.retry = {3, 100, 5'000, 2, false};
  return settings;
}

struct supervisor_fixture {
  caf::actor_system_config config;
  caf::actor_system system;
  caf::scoped_actor self;
  caf::scheduler::test_coordinator& scheduler;
  std::shared_ptr<scripted_adapter> adapter = std::make_shared<scripted_adapter>();
  std::shared_ptr<provider_gauges> gauges;
  caf::actor supervisor;

  static caf::actor_system_config& testing_scheduler(caf::actor_system_config& config) {
    config.set("scheduler.policy", caf::atom("testing"));
    return config;
  }
  supervisor_fixture()
    : system(testing_scheduler(config)), self(system, true),
      scheduler(dynamic_cast<caf::scheduler::test_coordinator&>(system.scheduler())) {}
  ~supervisor_fixture() {
    if (supervisor)
      caf::anon_send_exit(supervisor, caf::exit_reason::user_shutdown);
    scheduler.run();
  }

  void start(supervisor_settings settings = exact_settings()) {
    gauges = std::make_shared<provider_gauges>(settings.name, provider_kind::payments, "scripted", settings.workers);
    supervisor = spawn_provider_supervisor(system, settings, adapter, gauges);
    scheduler.run();
  }
  void call(uint64_t id) {
    provider_call collect{"collect", "key-" + std::to_string(id),
                          {{"account", "user:alice"}, {"amount", "1.00"}, {"currency", "USD"}}};
    self->send(supervisor, provider_call_atom::value, id, std::move(collect));
    scheduler.run();
  }
  void advance(std::chrono::milliseconds by) {
    scheduler.advance_time(by);
    scheduler.run();
  }
  // The next reply, if one has arrived.
  std::optional<std::pair<uint64_t, provider_reply>> reply() {
    scheduler.run();
    std::optional<std::pair<uint64_t, provider_reply>> received;
    self->receive([&](provider_reply_atom, uint64_t id, provider_reply& answer) { received.emplace(id, answer); },
                  caf::after(std::chrono::seconds(0)) >> [] {});
    return received;
  }
  size_t attempts_seen() const { return adapter->calls().size(); }
};

} // namespace

TEST_CASE_FIXTURE(supervisor_fixture, "a successful call is answered with the provider's fields after one attempt") {
  start();
  call(7);
  auto answer = reply();
  REQUIRE(answer.has_value());
  CHECK(answer->first == 7);
  CHECK(answer->second.outcome.ok());
  CHECK(answer->second.attempts == 1);
  CHECK(*find_field(answer->second.outcome.fields(), "payment_id") == "pay-key-7");
  CHECK(gauges->snapshot().calls.succeeded == 1);
}

TEST_CASE_FIXTURE(supervisor_fixture, "transient failures are retried with exponential backoff and the same key") {
  adapter->then(scripted_step::fail_transient, 2);
  start();
  call(1);
  CHECK(attempts_seen() == 1);
  CHECK_FALSE(reply().has_value());
  advance(99ms);
  CHECK(attempts_seen() == 1);
  advance(1ms);  // 100 ms after the first failure
  CHECK(attempts_seen() == 2);
  advance(199ms);
  CHECK(attempts_seen() == 2);
  advance(1ms);  // 200 ms after the second
  CHECK(attempts_seen() == 3);
  auto answer = reply();
  REQUIRE(answer.has_value());
  CHECK(answer->second.outcome.ok());
  CHECK(answer->second.attempts == 3);
  for (const auto& seen : adapter->calls())
    CHECK(seen.idempotency_key == "key-1");
  CHECK(gauges->snapshot().calls.retries == 2);
}

TEST_CASE_FIXTURE(supervisor_fixture, "retries stop after attempts_max and the last failure is answered") {
  adapter->then(scripted_step::fail_transient, 3);
  start();
  call(1);
  advance(100ms);
  advance(200ms);
  CHECK(attempts_seen() == 3);
  auto answer = reply();
  REQUIRE(answer.has_value());
  REQUIRE_FALSE(answer->second.outcome.ok());
  CHECK(answer->second.outcome.failure().code == "http_503");
  CHECK(answer->second.attempts == 3);
  CHECK(gauges->snapshot().calls.failed == 1);
}

TEST_CASE_FIXTURE(supervisor_fixture, "a refusal by the provider is never retried") {
  adapter->then(scripted_step::reject);
  start();
  call(1);
  auto answer = reply();
  REQUIRE(answer.has_value());
  CHECK(answer->second.outcome.failure().kind == failure_kind::rejected);
  advance(10s);
  CHECK(attempts_seen() == 1);
  CHECK(gauges->snapshot().calls.rejected == 1);
}

TEST_CASE_FIXTURE(supervisor_fixture, "a malformed call is refused before it reaches the provider") {
  start();
  self->send(supervisor, provider_call_atom::value, uint64_t{3}, provider_call{"collect", "", {}});
  auto answer = reply();
  REQUIRE(answer.has_value());
  CHECK(answer->second.outcome.failure().code == "bad_call");
  CHECK(answer->second.attempts == 0);
  CHECK(attempts_seen() == 0);
}

TEST_CASE_FIXTURE(supervisor_fixture, "an attempt without an answer times out and is retried with the same key") {
  adapter->then(scripted_step::hang);
  start();
  call(1);
  advance(990ms);
  CHECK(attempts_seen() == 1);
  CHECK_FALSE(reply().has_value());
  advance(10ms);  // the tick at 1000 ms sees the deadline
  advance(100ms);  // the backoff
  CHECK(attempts_seen() == 2);
  auto answer = reply();
  REQUIRE(answer.has_value());
  CHECK(answer->second.outcome.ok());
  CHECK(answer->second.attempts == 2);
  CHECK(adapter->calls()[1].idempotency_key == "key-1");
}

TEST_CASE_FIXTURE(supervisor_fixture, "a hung provider fills the bulkhead and further callers are refused at once") {
  adapter->then(scripted_step::hang, 100);
  start();  // 2 workers, a queue of 2
  for (uint64_t id = 1; id <= 5; ++id)
    call(id);
  CHECK(attempts_seen() == 2);
  auto answer = reply();  // the fifth call: no worker, no room in the queue
  REQUIRE(answer.has_value());
  CHECK(answer->first == 5);
  CHECK(answer->second.outcome.failure().kind == failure_kind::unavailable);
  CHECK(answer->second.outcome.failure().code == "bulkhead_full");
  auto status = gauges->snapshot();
  CHECK(status.in_flight == 2);
  CHECK(status.queued == 2);
  CHECK(status.calls.bulkhead_full == 1);
}

TEST_CASE_FIXTURE(supervisor_fixture, "five failed calls open the breaker; later calls are refused without an attempt") {
  auto settings = exact_settings();
  settings.retry.attempts_max = 1;
  settings.breaker.open_wait_ms = 60'000;
  settings.breaker.half_open_probes = 1;
  adapter->then(scripted_step::fail_transient, 5);
  start(settings);
  for (uint64_t id = 1; id <= 5; ++id) {
    call(id);
    REQUIRE(reply().has_value());
  }
  CHECK(gauges->state() == breaker_state::open);
  call(6);
  auto refused = reply();
  REQUIRE(refused.has_value());
  CHECK(refused->second.outcome.failure().code == "breaker_open");
  CHECK(attempts_seen() == 5);

  advance(60s);  // the open wait ends: the supervisor shows half-open without a call
  CHECK(gauges->state() == breaker_state::half_open);
  call(7);  // the probe succeeds
  REQUIRE(reply()->second.outcome.ok());
  CHECK(gauges->state() == breaker_state::closed);
  CHECK(gauges->snapshot().breaker.transitions == 3);
}

TEST_CASE_FIXTURE(supervisor_fixture, "a crashed worker is replaced and its call retried") {
  adapter->then(scripted_step::crash);
  start();
  call(1);
  advance(100ms);
  auto answer = reply();
  REQUIRE(answer.has_value());
  CHECK(answer->second.outcome.ok());
  CHECK(answer->second.attempts == 2);
  CHECK(gauges->snapshot().worker_restarts == 1);
  call(2);  // the pool still has two workers
  call(3);
  CHECK(reply().has_value());
  CHECK(reply().has_value());
}

TEST_CASE_FIXTURE(supervisor_fixture, "a worker stuck past its grace is replaced and its slot serves again") {
  auto settings = exact_settings();
  settings.workers = 1;
  settings.retry.attempts_max = 1;
  adapter->then(scripted_step::hang);
  start(settings);
  call(1);
  advance(1'000ms);
  auto timed_out = reply();
  REQUIRE(timed_out.has_value());
  CHECK(timed_out->second.outcome.failure().kind == failure_kind::timeout);
  call(2);  // waits: the only worker is still stuck in the first call
  CHECK(attempts_seen() == 1);
  CHECK(gauges->snapshot().queued == 1);
  advance(5'000ms);
  advance(10ms);
  CHECK(gauges->snapshot().worker_restarts == 1);
  CHECK(attempts_seen() == 2);
  auto answer = reply();
  REQUIRE(answer.has_value());
  CHECK(answer->first == 2);
  CHECK(answer->second.outcome.ok());
}

TEST_CASE_FIXTURE(supervisor_fixture, "an operator can force the breaker open and close it again") {
  start();
  self->send(supervisor, provider_breaker_atom::value, breaker_action::force_open);
  scheduler.run();
  self->receive([](const provider_status& status) { CHECK(status.breaker.state == breaker_state::forced_open); });
  call(1);
  CHECK(reply()->second.outcome.failure().code == "breaker_open");
  advance(3600s);
  call(2);
  CHECK(reply()->second.outcome.failure().code == "breaker_open");
  self->send(supervisor, provider_breaker_atom::value, breaker_action::close);
  scheduler.run();
  self->receive([](const provider_status& status) { CHECK(status.breaker.state == breaker_state::closed); });
  call(3);
  CHECK(reply()->second.outcome.ok());
  CHECK(attempts_seen() == 1);
}

TEST_CASE_FIXTURE(supervisor_fixture, "a retry refused by a breaker that opened meanwhile answers the attempt's failure") {
  auto settings = exact_settings();
  settings.breaker.consecutive_failures_max = 1;
  adapter->then(scripted_step::fail_transient);
  start(settings);
  call(1);
  CHECK(gauges->state() == breaker_state::open);
  advance(100ms);  // the retry is due, and refused
  auto answer = reply();
  REQUIRE(answer.has_value());
  // Not "unavailable": the provider was tried, so no one may fail over as if it had not been.
  CHECK(answer->second.outcome.failure().kind == failure_kind::transient);
  CHECK(answer->second.outcome.failure().code == "http_503");
  CHECK(answer->second.attempts == 1);
  CHECK(attempts_seen() == 1);
  CHECK(gauges->snapshot().calls.failed == 1);
  CHECK(gauges->snapshot().calls.not_permitted == 0);
}

// Inline execution (supervisor_settings::inline_calls): each attempt runs inside the
// supervisor instead of on a worker actor; timeouts, retries and the breaker stay the same.
namespace {

supervisor_settings inline_settings() {
  auto settings = exact_settings();
  settings.inline_calls = true;
  return settings;
}

} // namespace

TEST_CASE_FIXTURE(supervisor_fixture, "inline: successful calls are answered after one attempt each") {
  start(inline_settings());
  call(7);
  call(8);
  for (uint64_t id : {7, 8}) {
    auto answer = reply();
    REQUIRE(answer.has_value());
    CHECK(answer->first == id);
    CHECK(answer->second.attempts == 1);
    CHECK(*find_field(answer->second.outcome.fields(), "payment_id") == "pay-key-" + std::to_string(id));
  }
  CHECK(gauges->snapshot().calls.succeeded == 2);
  CHECK(gauges->snapshot().in_flight == 0);
}

TEST_CASE_FIXTURE(supervisor_fixture, "inline: a transient failure is retried after its backoff with the same key") {
  adapter->then(scripted_step::fail_transient);
  start(inline_settings());
  call(1);
  CHECK(attempts_seen() == 1);
  CHECK_FALSE(reply().has_value());
  advance(99ms);
  CHECK(attempts_seen() == 1);
  advance(1ms);
  CHECK(attempts_seen() == 2);
  auto answer = reply();
  REQUIRE(answer.has_value());
  CHECK(answer->second.outcome.ok());
  CHECK(answer->second.attempts == 2);
  CHECK(adapter->calls()[1].idempotency_key == "key-1");
  CHECK(gauges->snapshot().calls.retries == 1);
}

TEST_CASE_FIXTURE(supervisor_fixture, "inline: an adapter that throws fails its attempt as adapter_crashed, which is retried") {
  SUBCASE("retried and answered") {
    adapter->then(scripted_step::crash);
    start(inline_settings());
    call(1);
    CHECK_FALSE(reply().has_value());
    advance(100ms);
    auto answer = reply();
    REQUIRE(answer.has_value());
    CHECK(answer->second.outcome.ok());
    CHECK(answer->second.attempts == 2);
    CHECK(gauges->snapshot().worker_restarts == 1);
  }
  SUBCASE("with one attempt allowed, the failure is the answer") {
    auto settings = inline_settings();
    settings.retry.attempts_max = 1;
    adapter->then(scripted_step::crash);
    start(settings);
    call(1);
    auto answer = reply();
    REQUIRE(answer.has_value());
    REQUIRE_FALSE(answer->second.outcome.ok());
    CHECK(answer->second.outcome.failure().kind == failure_kind::transient);
    CHECK(answer->second.outcome.failure().code == "adapter_crashed");
    CHECK(gauges->snapshot().calls.failed == 1);
  }
  call(2);  // the supervisor survived the exception and still serves
  REQUIRE(reply().has_value());
}

TEST_CASE_FIXTURE(supervisor_fixture, "inline: an attempt without an answer times out") {
  auto settings = inline_settings();
  settings.retry.attempts_max = 1;
  adapter->then(scripted_step::hang);
  start(settings);
  call(1);
  advance(990ms);
  CHECK_FALSE(reply().has_value());
  advance(10ms);
  auto answer = reply();
  REQUIRE(answer.has_value());
  CHECK(answer->second.outcome.failure().kind == failure_kind::timeout);
  CHECK(answer->second.attempts == 1);
  CHECK(gauges->snapshot().calls.timed_out == 1);
  call(2);  // the second worker slot takes the next call
  auto next = reply();
  REQUIRE(next.has_value());
  CHECK(next->second.outcome.ok());
}
