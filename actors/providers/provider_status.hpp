// What the admin API and /metrics show of one provider: identity, breaker, bulkhead, counters.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>

#include "actors/providers/circuit_breaker.hpp"
#include "protocols/provider_call.hpp"

namespace ledgerflow {

// Final outcomes of calls (not attempts); a call retried twice and then successful counts
// one success and two retries.
struct provider_call_counts {
  uint64_t succeeded = 0;
  uint64_t failed = 0;         // transient failures, retries exhausted
  uint64_t timed_out = 0;      // the last attempt timed out
  uint64_t rejected = 0;       // refused by the provider (not retried)
  uint64_t not_permitted = 0;  // refused by the breaker
  uint64_t bulkhead_full = 0;  // refused: every worker busy and the queue full
  uint64_t retries = 0;        // attempts beyond the first

  // Each final outcome by its name in the admin API and the metrics' `outcome` label.
  std::array<std::pair<const char*, uint64_t>, 6> by_outcome() const {
    return {{{"succeeded", succeeded},
             {"failed", failed},
             {"timed_out", timed_out},
             {"rejected", rejected},
             {"not_permitted", not_permitted},
             {"bulkhead_full", bulkhead_full}}};
  }
};

struct provider_status {
  std::string name;
  provider_kind kind = provider_kind::payments;
  std::string type;  // "sandbox" or "http"
  breaker_snapshot breaker;
  uint32_t in_flight = 0;  // attempts running on a worker (timed-out ones until they return)
  uint32_t queued = 0;     // calls waiting for a worker or for their retry
  uint32_t workers = 0;
  uint64_t worker_restarts = 0;
  provider_call_counts calls;
};

// Whether calls may flow to the provider: closed or disabled (half-open only probes).
bool breaker_admits_traffic(breaker_state state);

} // namespace ledgerflow
