// A provider's live figures, written by its supervisor only and read by any thread: the admin
// API and /metrics read them without asking the actor, and failover reads the breaker state.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "actors/ledger_metrics.hpp"
#include "actors/providers/provider_status.hpp"

namespace ledgerflow {

class provider_gauges {
public:
  provider_gauges(std::string name, provider_kind kind, std::string type, uint32_t workers);

  // Writers (the supervisor's thread).
  void count(std::atomic<uint64_t>& counter) { counter.fetch_add(1, std::memory_order_relaxed); }
  void publish(const breaker_snapshot& breaker);
  void set_load(uint32_t in_flight, uint32_t queued);
  void observe_attempt_ms(double milliseconds) { attempt_ms_.observe(milliseconds); }

  std::atomic<uint64_t> succeeded{0};
  std::atomic<uint64_t> failed{0};
  std::atomic<uint64_t> timed_out{0};
  std::atomic<uint64_t> rejected{0};
  std::atomic<uint64_t> not_permitted{0};
  std::atomic<uint64_t> bulkhead_full{0};
  std::atomic<uint64_t> retries{0};
  std::atomic<uint64_t> worker_restarts{0};

  // Readers.
  const std::string& name() const { return name_; }
  provider_kind kind() const { return kind_; }
  breaker_state state() const { return static_cast<breaker_state>(state_.load(std::memory_order_acquire)); }
  provider_status snapshot() const;
  const histogram& attempt_ms() const { return attempt_ms_; }

private:
  std::string name_;
  provider_kind kind_;
  std::string type_;
  uint32_t workers_;
  std::atomic<uint8_t> state_{0};
  std::atomic<uint32_t> calls_in_window_{0};
  std::atomic<uint32_t> failure_rate_percent_{0};
  std::atomic<uint32_t> slow_call_rate_percent_{0};
  std::atomic<uint32_t> consecutive_failures_{0};
  std::atomic<uint64_t> transitions_{0};
  std::atomic<uint64_t> breaker_not_permitted_{0};
  std::atomic<uint32_t> in_flight_{0};
  std::atomic<uint32_t> queued_{0};
  histogram attempt_ms_{{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000}};
};

} // namespace ledgerflow
