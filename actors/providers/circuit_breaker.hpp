// A circuit breaker: closed (calls flow, results counted), open (calls refused until the open
// wait ends), half-open (a few probes decide), forced-open and disabled (set by an operator).
//
// Plain state, no CAF and no clock of its own: the owner (a provider supervisor) passes the
// time in, so tests drive it with a fake clock. The decision (try_acquire) allocates nothing;
// the window is a ring allocated once.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "actors/providers/breaker_settings.hpp"

namespace ledgerflow {

enum class breaker_state : uint8_t { closed, open, half_open, forced_open, disabled };

std::string_view to_string(breaker_state state);

// What an operator may do to a breaker (POST /v1/providers/{name}/breaker).
enum class breaker_action : uint8_t { force_open, close, reset, disable };
bool breaker_action_from_string(std::string_view name, breaker_action& action);

struct breaker_snapshot {
  breaker_state state = breaker_state::closed;
  uint32_t calls_in_window = 0;
  uint32_t failure_rate_percent = 0;
  uint32_t slow_call_rate_percent = 0;
  uint32_t consecutive_failures = 0;
  uint64_t transitions = 0;
  uint64_t not_permitted = 0;  // calls refused while open, forced open or out of probes
};

class circuit_breaker {
public:
  using time_point = std::chrono::steady_clock::time_point;
  using duration = std::chrono::steady_clock::duration;
  using transition_listener = std::function<void(breaker_state from, breaker_state to)>;

  explicit circuit_breaker(breaker_settings settings);

  // Whether a call may start now. Open turns half-open here once the open wait has passed;
  // half-open admits at most half_open_probes calls until their results are in.
  bool try_acquire(time_point now);
  // Whether try_acquire would refuse now for sure (open and waiting, or forced open), without
  // taking a probe: a call can be refused before it waits for a worker.
  bool refuses(time_point now) const {
    return state_ == breaker_state::forced_open || (state_ == breaker_state::open && now < open_until_);
  }
  // The result of a call that try_acquire admitted. `failed`: the provider failed or timed
  // out (a refusal such as a 4xx is a success for the provider's health).
  void on_result(time_point now, bool failed, duration elapsed);

  // Turns open into half-open when the wait is over, without a call (for gauges and waiters).
  void poll(time_point now);
  void apply(breaker_action action, time_point now);

  breaker_state state() const { return state_; }
  breaker_snapshot snapshot() const;
  const breaker_settings& settings() const { return settings_; }
  // When an open breaker lets probes through.
  time_point open_until() const { return open_until_; }

  // Called on every change of state (rare); must not call back into the breaker.
  void on_transition(transition_listener listener) { listener_ = std::move(listener); }

private:
  struct window_counts {
    uint32_t calls = 0;
    uint32_t failures = 0;
    uint32_t slow = 0;
  };
  struct time_bucket {
    int64_t second = -1;
    window_counts counts;
  };

  void record_in_window(time_point now, bool failed, bool slow);
  void expire_time_buckets(int64_t second);
  bool window_trips() const;
  void judge_probes(time_point now);
  void transition(breaker_state to, time_point now);
  void clear_window();

  breaker_settings settings_;
  breaker_state state_ = breaker_state::closed;
  time_point open_until_{};
  // Count window: one byte per call (bit 0 failed, bit 1 slow) in a ring.
  std::vector<uint8_t> ring_;
  uint32_t ring_next_ = 0;
  // Time window: one bucket per second in a ring.
  std::vector<time_bucket> buckets_;
  window_counts window_;
  uint32_t consecutive_failures_ = 0;
  uint32_t probes_admitted_ = 0;
  window_counts probes_;
  uint64_t transitions_ = 0;
  uint64_t not_permitted_ = 0;
  transition_listener listener_;
};

} // namespace ledgerflow
