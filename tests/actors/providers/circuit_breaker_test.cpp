// Every transition of the circuit breaker, driven by a hand-moved clock.
#include <doctest/doctest.h>

#include <vector>

#include "actors/providers/circuit_breaker.hpp"

using namespace ledgerflow;
using namespace std::chrono_literals;

namespace {

using time_point = circuit_breaker::time_point;

struct breaker_fixture {
  time_point now = time_point{} + 1000s;
  std::vector<std::pair<breaker_state, breaker_state>> transitions;

  circuit_breaker make(breaker_settings settings = {}) {
    circuit_breaker breaker(settings);
    breaker.on_transition([this](breaker_state from, breaker_state to) { transitions.emplace_back(from, to); });
    return breaker;
  }
  // One admitted call and its result.
  void call(circuit_breaker& breaker, bool failed, std::chrono::milliseconds elapsed = 1ms) {
    REQUIRE(breaker.try_acquire(now));
    breaker.on_result(now, failed, elapsed);
  }
};

} // namespace

TEST_CASE_FIXTURE(breaker_fixture, "five consecutive failures open the breaker; a success in between resets the run") {
  auto breaker = make();
  for (int i = 0; i < 4; ++i)
    call(breaker, true);
  call(breaker, false);
  for (int i = 0; i < 4; ++i)
    call(breaker, true);
  CHECK(breaker.state() == breaker_state::closed);
  CHECK(breaker.snapshot().consecutive_failures == 4);
  call(breaker, true);
  CHECK(breaker.state() == breaker_state::open);
  REQUIRE(transitions.size() == 1);
  CHECK(transitions[0] == std::pair{breaker_state::closed, breaker_state::open});
}

TEST_CASE_FIXTURE(breaker_fixture, "a 50% failure rate over the window opens it once the minimum of calls is reached") {
  breaker_settings settings;
  settings.consecutive_failures_max = 0;  // judge by rate only
  settings.window_size = 10;
  settings.minimum_calls = 10;
  auto breaker = make(settings);
  for (int i = 0; i < 4; ++i) {  // 8 calls, 4 failed: under the minimum
    call(breaker, true);
    call(breaker, false);
  }
  CHECK(breaker.state() == breaker_state::closed);
  CHECK(breaker.snapshot().failure_rate_percent == 50);
  call(breaker, false);  // 9 calls
  CHECK(breaker.state() == breaker_state::closed);
  call(breaker, true);  // 10 calls, 5 failed
  CHECK(breaker.state() == breaker_state::open);
}

TEST_CASE_FIXTURE(breaker_fixture, "the count window forgets calls older than its size") {
  breaker_settings settings;
  settings.consecutive_failures_max = 0;
  settings.window_size = 4;
  settings.minimum_calls = 4;
  settings.failure_rate_percent = 75;
  auto breaker = make(settings);
  call(breaker, true);
  call(breaker, true);
  call(breaker, false);
  call(breaker, false);  // 2 of 4
  CHECK(breaker.snapshot().failure_rate_percent == 50);
  call(breaker, false);
  call(breaker, false);  // the two failures fell out
  CHECK(breaker.snapshot().failure_rate_percent == 0);
  CHECK(breaker.snapshot().calls_in_window == 4);
  call(breaker, true);
  call(breaker, true);
  CHECK(breaker.state() == breaker_state::closed);  // 2 of 4
  call(breaker, true);  // 3 of 4 = 75%
  CHECK(breaker.state() == breaker_state::open);
}

TEST_CASE_FIXTURE(breaker_fixture, "the time window forgets the calls of seconds gone by") {
  breaker_settings settings;
  settings.consecutive_failures_max = 0;
  settings.window_type = breaker_window_type::time;
  settings.window_size = 10;  // seconds
  settings.minimum_calls = 4;
  auto breaker = make(settings);
  call(breaker, true);
  call(breaker, true);
  call(breaker, true);
  now += 10s;  // those three are out of the window now
  call(breaker, true);
  CHECK(breaker.snapshot().calls_in_window == 1);
  CHECK(breaker.state() == breaker_state::closed);
  now += 5s;
  call(breaker, false);
  call(breaker, true);
  CHECK(breaker.state() == breaker_state::closed);  // 2 of 3
  call(breaker, false);  // 2 of 4: 50%
  CHECK(breaker.state() == breaker_state::open);
}

TEST_CASE_FIXTURE(breaker_fixture, "slow calls open the breaker by the slow-call rate") {
  breaker_settings settings;
  settings.consecutive_failures_max = 0;
  settings.window_size = 4;
  settings.minimum_calls = 4;
  settings.slow_call_ms = 100;
  settings.slow_call_rate_percent = 50;
  auto breaker = make(settings);
  call(breaker, false, 99ms);
  call(breaker, false, 100ms);
  call(breaker, false, 1ms);
  CHECK(breaker.state() == breaker_state::closed);
  call(breaker, false, 250ms);  // 2 of 4 slow, none failed
  CHECK(breaker.state() == breaker_state::open);
}

TEST_CASE_FIXTURE(breaker_fixture, "an open breaker refuses calls until the open wait has passed, then lets probes through") {
  breaker_settings settings;
  settings.open_wait_ms = 60'000;
  settings.half_open_probes = 2;
  auto breaker = make(settings);
  for (int i = 0; i < 5; ++i)
    call(breaker, true);
  REQUIRE(breaker.state() == breaker_state::open);
  now += 59'999ms;
  CHECK_FALSE(breaker.try_acquire(now));
  CHECK(breaker.snapshot().not_permitted == 1);
  now += 1ms;
  CHECK(breaker.try_acquire(now));
  CHECK(breaker.state() == breaker_state::half_open);
  CHECK(breaker.try_acquire(now));
  CHECK_FALSE(breaker.try_acquire(now));  // out of probes until they report
}

TEST_CASE_FIXTURE(breaker_fixture, "healthy probes close the breaker and failed probes open it again") {
  breaker_settings settings;
  settings.half_open_probes = 2;
  auto breaker = make(settings);
  for (int i = 0; i < 5; ++i)
    call(breaker, true);
  now += 60s;
  breaker.poll(now);
  REQUIRE(breaker.state() == breaker_state::half_open);
  call(breaker, false);
  call(breaker, true);  // 1 of 2 failed: 50%, the threshold
  CHECK(breaker.state() == breaker_state::open);
  CHECK(breaker.open_until() == now + 60s);
  now += 60s;
  call(breaker, false);
  CHECK(breaker.state() == breaker_state::half_open);
  call(breaker, false);
  CHECK(breaker.state() == breaker_state::closed);
  CHECK(breaker.snapshot().calls_in_window == 0);  // closing starts a fresh window
  std::vector<std::pair<breaker_state, breaker_state>> expected = {
    {breaker_state::closed, breaker_state::open},         {breaker_state::open, breaker_state::half_open},
    {breaker_state::half_open, breaker_state::open},      {breaker_state::open, breaker_state::half_open},
    {breaker_state::half_open, breaker_state::closed}};
  CHECK(transitions == expected);
}

TEST_CASE_FIXTURE(breaker_fixture, "an operator can force it open, disable it, close it and reset it") {
  auto breaker = make();
  breaker.apply(breaker_action::force_open, now);
  CHECK(breaker.state() == breaker_state::forced_open);
  now += 3600s;
  CHECK_FALSE(breaker.try_acquire(now));  // no open wait ends a forced open
  breaker.apply(breaker_action::disable, now);
  CHECK(breaker.state() == breaker_state::disabled);
  for (int i = 0; i < 20; ++i)
    call(breaker, true);  // disabled: failures change nothing
  CHECK(breaker.state() == breaker_state::disabled);
  breaker.apply(breaker_action::close, now);
  CHECK(breaker.state() == breaker_state::closed);
  for (int i = 0; i < 3; ++i)
    call(breaker, true);
  breaker.apply(breaker_action::reset, now);
  CHECK(breaker.state() == breaker_state::closed);
  CHECK(breaker.snapshot().consecutive_failures == 0);
  CHECK(breaker.snapshot().calls_in_window == 0);
  CHECK(breaker.snapshot().transitions == 3);
}

TEST_CASE("breaker actions are parsed by their API names only") {
  breaker_action action{};
  CHECK(breaker_action_from_string("force_open", action));
  CHECK(action == breaker_action::force_open);
  CHECK(breaker_action_from_string("reset", action));
  CHECK(action == breaker_action::reset);
  CHECK_FALSE(breaker_action_from_string("open", action));
  CHECK_FALSE(breaker_action_from_string("", action));
}
