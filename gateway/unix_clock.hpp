// Wall-clock time as the gateway reads it (token expiry), behind a function so tests can
// pin it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace ledgerflow {

using unix_seconds_clock = std::function<int64_t()>;

inline int64_t system_unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

} // namespace ledgerflow
