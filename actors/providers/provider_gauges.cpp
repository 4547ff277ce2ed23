#include "actors/providers/provider_gauges.hpp"

namespace ledgerflow {

bool breaker_admits_traffic(breaker_state state) {
  return state == breaker_state::closed || state == breaker_state::disabled;
}

provider_gauges::provider_gauges(std::string name, provider_kind kind, std::string type, uint32_t workers)
  : name_(std::move(name)), kind_(kind), type_(std::move(type)), workers_(workers) {}

void provider_gauges::publish(const breaker_snapshot& breaker) {
  calls_in_window_.store(breaker.calls_in_window, std::memory_order_relaxed);
  failure_rate_percent_.store(breaker.failure_rate_percent, std::memory_order_relaxed);
  slow_call_rate_percent_.store(breaker.slow_call_rate_percent, std::memory_order_relaxed);
  consecutive_failures_.store(breaker.consecutive_failures, std::memory_order_relaxed);
  transitions_.store(breaker.transitions, std::memory_order_relaxed);
  breaker_not_permitted_.store(breaker.not_permitted, std::memory_order_relaxed);
  state_.store(static_cast<uint8_t>(breaker.state), std::memory_order_release);
}

void provider_gauges::set_load(uint32_t in_flight, uint32_t queued) {
  in_flight_.store(in_flight, std::memory_order_relaxed);
  queued_.store(queued, std::memory_order_relaxed);
}

provider_status provider_gauges::snapshot() const {
  auto load = [](const auto& value) { return value.load(std::memory_order_relaxed); };
  provider_status status;
  status.name = name_;
  status.kind = kind_;
  status.type = type_;
  status.breaker.state = state();
  status.breaker.calls_in_window = load(calls_in_window_);
  status.breaker.failure_rate_percent = load(failure_rate_percent_);
  status.breaker.slow_call_rate_percent = load(slow_call_rate_percent_);
  status.breaker.consecutive_failures = load(consecutive_failures_);
  status.breaker.transitions = load(transitions_);
  status.breaker.not_permitted = load(breaker_not_permitted_);
  status.in_flight = load(in_flight_);
  status.queued = load(queued_);
  status.workers = workers_;
  status.worker_restarts = load(worker_restarts);
  status.calls = {load(succeeded), load(failed),        load(timed_out), load(rejected),
                  load(not_permitted), load(bulkhead_full), load(retries)};
  return status;
}

} // namespace ledgerflow
