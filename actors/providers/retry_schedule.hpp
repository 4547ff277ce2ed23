// When the next attempt of a failed call starts: exponential backoff, capped, with jitter from
// a seeded generator so a test can predict every wait.
#pragma once

#include <chrono>
#include <cstdint>

#include "actors/providers/provider_settings.hpp"

namespace ledgerflow {

class retry_schedule {
public:
  retry_schedule(retry_settings settings, uint64_t seed);

  // Whether a call that has made `attempts_made` attempts may make another.
  bool may_retry(uint32_t attempts_made) const;
  // The wait before attempt number attempts_made + 1 (attempts_made >= 1).
  std::chrono::milliseconds backoff(uint32_t attempts_made);
  // The same wait without jitter: its upper bound.
  std::chrono::milliseconds backoff_ceiling(uint32_t attempts_made) const;

private:
  uint64_t next_random();

  retry_settings settings_;
  uint64_t state_;
};

} // namespace ledgerflow
