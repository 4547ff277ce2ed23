#include "actors/providers/circuit_breaker.hpp"

#include <algorithm>

namespace ledgerflow {

std::string_view to_string(breaker_state state) {
  switch (state) {
    case breaker_state::closed: return "closed";
    case breaker_state::open: return "open";
    case breaker_state::half_open: return "half_open";
    case breaker_state::forced_open: return "forced_open";
    case breaker_state::disabled: return "disabled";
  }
  return "unknown";
}

bool breaker_action_from_string(std::string_view name, breaker_action& action) {
  if (name == "force_open") action = breaker_action::force_open;
  else if (name == "close") action = breaker_action::close;
  else if (name == "reset") action = breaker_action::reset;
  else if (name == "disable") action = breaker_action::disable;
  else return false;
  return true;
}

namespace {

uint32_t percent(uint32_t part, uint32_t whole) {
  return whole == 0 ? 0 : static_cast<uint32_t>(uint64_t{part} * 100 / whole);
}

// A rate rule with threshold 0 is off; otherwise it trips at or above the threshold.
bool rate_trips(uint32_t part, uint32_t whole, uint32_t threshold_percent) {
  return threshold_percent > 0 && uint64_t{part} * 100 >= uint64_t{threshold_percent} * whole;
}

} // namespace

circuit_breaker::circuit_breaker(breaker_settings settings) : settings_(settings) {
  settings_.window_size = std::clamp<uint32_t>(settings_.window_size, 1, breaker_window_size_max);
  settings_.half_open_probes = std::clamp<uint32_t>(settings_.half_open_probes, 1, breaker_half_open_probes_max);
  if (settings_.window_type == breaker_window_type::count)
    ring_.assign(settings_.window_size, 0);
  else
    buckets_.assign(settings_.window_size, time_bucket{});
}

bool circuit_breaker::try_acquire(time_point now) {
  switch (state_) {
    case breaker_state::closed:
    case breaker_state::disabled:
      return true;
    case breaker_state::open:
      if (now < open_until_)
        break;
      transition(breaker_state::half_open, now);
      [[fallthrough]];
    case breaker_state::half_open:
      if (probes_admitted_ < settings_.half_open_probes) {
        ++probes_admitted_;
        return true;
      }
      break;
    case breaker_state::forced_open:
      break;
  }
  ++not_permitted_;
  return false;
}

void circuit_breaker::on_result(time_point now, bool failed, duration elapsed) {
  bool slow = elapsed >= std::chrono::milliseconds(settings_.slow_call_ms);
  if (state_ == breaker_state::half_open) {
    ++probes_.calls;
    probes_.failures += failed;
    probes_.slow += slow;
    if (probes_.calls >= settings_.half_open_probes)
      judge_probes(now);
    return;
  }
  // Results of calls admitted before an operator or the window opened it do not count.
  if (state_ != breaker_state::closed)
    return;
  record_in_window(now, failed, slow);
  consecutive_failures_ = failed ? consecutive_failures_ + 1 : 0;
  bool too_many_in_a_row = settings_.consecutive_failures_max > 0
                           && consecutive_failures_ >= settings_.consecutive_failures_max;
  if (too_many_in_a_row || window_trips())
    transition(breaker_state::open, now);
}

void circuit_breaker::poll(time_point now) {
  if (state_ == breaker_state::open && now >= open_until_)
    transition(breaker_state::half_open, now);
}

void circuit_breaker::apply(breaker_action action, time_point now) {
  switch (action) {
    case breaker_action::force_open: transition(breaker_state::forced_open, now); break;
    case breaker_action::disable: transition(breaker_state::disabled, now); break;
    case breaker_action::close: transition(breaker_state::closed, now); break;
    case breaker_action::reset:
      transition(breaker_state::closed, now);
      clear_window();  // also when it was closed already: a fresh window
      break;
  }
}

breaker_snapshot circuit_breaker::snapshot() const {
  const auto& counts = state_ == breaker_state::half_open ? probes_ : window_;
  breaker_snapshot result;
  result.state = state_;
  result.calls_in_window = counts.calls;
  result.failure_rate_percent = percent(counts.failures, counts.calls);
  result.slow_call_rate_percent = percent(counts.slow, counts.calls);
  result.consecutive_failures = consecutive_failures_;
  result.transitions = transitions_;
  result.not_permitted = not_permitted_;
  return result;
}

void circuit_breaker::record_in_window(time_point now, bool failed, bool slow) {
  window_counts* bucket_counts = nullptr;
  if (settings_.window_type == breaker_window_type::count) {
    uint8_t& slot = ring_[ring_next_];
    if (window_.calls == ring_.size()) {
      window_.failures -= slot & 1u;
      window_.slow -= (slot >> 1) & 1u;
      --window_.calls;
    }
    slot = static_cast<uint8_t>(uint8_t{failed} | uint8_t(uint8_t{slow} << 1));
    ring_next_ = (ring_next_ + 1) % static_cast<uint32_t>(ring_.size());
  } else {
    auto second = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    expire_time_buckets(second);
    auto& bucket = buckets_[static_cast<size_t>(second) % buckets_.size()];
    bucket.second = second;
    bucket_counts = &bucket.counts;
  }
  for (auto* counts : {&window_, bucket_counts}) {
    if (counts == nullptr)
      continue;
    ++counts->calls;
    counts->failures += failed;
    counts->slow += slow;
  }
}

// Drops the buckets of seconds that fell out of the window (window_size is small: seconds).
void circuit_breaker::expire_time_buckets(int64_t second) {
  auto size = static_cast<int64_t>(buckets_.size());
  for (auto& bucket : buckets_) {
    if (bucket.second < 0 || bucket.second > second - size)
      continue;
    window_.calls -= bucket.counts.calls;
    window_.failures -= bucket.counts.failures;
    window_.slow -= bucket.counts.slow;
    bucket = time_bucket{};
  }
}

bool circuit_breaker::window_trips() const {
  if (window_.calls < settings_.minimum_calls)
    return false;
  return rate_trips(window_.failures, window_.calls, settings_.failure_rate_percent)
         || rate_trips(window_.slow, window_.calls, settings_.slow_call_rate_percent);
}

void circuit_breaker::judge_probes(time_point now) {
  bool unhealthy = rate_trips(probes_.failures, probes_.calls, settings_.failure_rate_percent)
                   || rate_trips(probes_.slow, probes_.calls, settings_.slow_call_rate_percent);
  transition(unhealthy ? breaker_state::open : breaker_state::closed, now);
}

void circuit_breaker::transition(breaker_state to, time_point now) {
  auto from = state_;
  if (from == to)
    return;
  state_ = to;
  ++transitions_;
  probes_admitted_ = 0;
  probes_ = window_counts{};
  if (to == breaker_state::open)
    open_until_ = now + std::chrono::milliseconds(settings_.open_wait_ms);
  if (to == breaker_state::closed)
    clear_window();
  if (listener_)
    listener_(from, to);
}

void circuit_breaker::clear_window() {
  window_ = window_counts{};
  consecutive_failures_ = 0;
  std::fill(ring_.begin(), ring_.end(), uint8_t{0});
  ring_next_ = 0;
  std::fill(buckets_.begin(), buckets_.end(), time_bucket{});
}

} // namespace ledgerflow
