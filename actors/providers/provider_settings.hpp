// How one provider's supervisor behaves: bulkhead, timeout, retries, breaker. Read from the
// `[[providers]]` tables of the config (app/provider_config.cpp); defaults are sane for a
// payment rail or an exchange API.
#pragma once

#include <cstdint>
#include <string>

#include "actors/providers/breaker_settings.hpp"

namespace ledgerflow {

// Retries of transient failures and timeouts, always with the call's own idempotency key.
struct retry_settings {
  uint32_t attempts_max = 3;          // attempts in all, the first included
  uint32_t backoff_initial_ms = 100;  // before the second attempt
  uint32_t backoff_max_ms = 5'000;
  uint32_t backoff_multiplier = 2;
  bool jitter = true;  // wait a random time in [backoff/2, backoff] so retries do not line up
};

struct supervisor_settings {
  std::string name;            // unique among providers, e.g. "sandbox-payments"
  uint32_t workers = 16;       // bulkhead: attempts in flight at once
  uint32_t queue_max = 256;    // calls waiting for a worker; beyond it: unavailable at once
  uint32_t timeout_ms = 2'000;  // per attempt
  // A worker still busy this long after its attempt timed out is stopped and replaced.
  uint32_t stuck_worker_grace_ms = 5'000;
  uint32_t tick_ms = 10;  // how often timeouts are checked while calls are in flight
  uint64_t jitter_seed = 0x1edf10u;
  // Run each attempt inside the supervisor instead of on a worker actor. Only for adapters
  // whose start() never blocks (the sandbox, the HTTP client): it saves two messages a call.
  // An adapter that throws then fails its attempt instead of crashing a worker.
  bool inline_calls = false;
  retry_settings retry;
  breaker_settings breaker;
};

inline constexpr uint32_t provider_workers_max = 4'096;
inline constexpr uint32_t provider_queue_max = 1'000'000;
inline constexpr uint32_t provider_attempts_max = 100;

} // namespace ledgerflow
