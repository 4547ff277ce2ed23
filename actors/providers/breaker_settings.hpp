// What makes a provider's circuit breaker open and close. Defaults follow what the platform
// asked for: open after 5 consecutive failures or a 50% failure rate over the window, stay
// open 60 s, then let a few probes through (half-open).
#pragma once

#include <cstdint>

namespace ledgerflow {

enum class breaker_window_type : uint8_t {
  count,  // the last `window_size` calls
  time,   // the calls of the last `window_size` seconds
};

struct breaker_settings {
  uint32_t consecutive_failures_max = 5;  // 0: no consecutive rule
  uint32_t failure_rate_percent = 50;     // of the calls in the window
  uint32_t slow_call_rate_percent = 100;  // of the calls in the window
  uint32_t slow_call_ms = 5'000;          // a call slower than this is slow
  breaker_window_type window_type = breaker_window_type::count;
  uint32_t window_size = 100;     // calls, or seconds
  uint32_t minimum_calls = 10;    // no rate is judged on fewer calls
  uint32_t open_wait_ms = 60'000;  // open this long before probing
  uint32_t half_open_probes = 3;   // calls let through half-open; their rates decide
};

// Upper bounds of the settings (STYLE.md habit 4): the window is allocated once, at start.
inline constexpr uint32_t breaker_window_size_max = 100'000;
inline constexpr uint32_t breaker_half_open_probes_max = 1'000;

} // namespace ledgerflow
