// `ledgerflow bench providers`: the closed-breaker hot path of a provider supervisor.
//   1. The breaker's decision alone (try_acquire on a closed breaker), and the decision with
//      its result recorded in the window, in ns per call, with the bytes the thread allocated
//      meanwhile (jemalloc's per-thread counter: 0 means no allocation).
//   2. Calls per second through one supervisor (bulkhead, breaker, timeout bookkeeping,
//      worker actor) to a zero-latency sandbox, from caller actors that keep a window of
//      calls in flight each, with per-call latency percentiles.
#pragma once

#include <cstddef>
#include <string>

namespace ledgerflow {

struct provider_bench_options {
  double duration_s = 5;
  double warmup_s = 1;
  size_t callers = 4;       // caller actors
  size_t window = 64;       // calls each keeps in flight
  size_t workers = 16;      // the supervisor's bulkhead
  size_t caf_threads = 1;   // `ledgerflow bench` passes the configured count
  size_t decisions = 50'000'000;  // breaker decisions timed
  std::string operation = "collect";  // "collect" (mutating, keyed) or "quote" (a read)
  bool inline_calls = false;          // attempts inside the supervisor, not on worker actors
};

// Prints progress to stderr and one JSON object per part on stdout, the summary last.
int run_provider_bench(const provider_bench_options& options);

} // namespace ledgerflow
