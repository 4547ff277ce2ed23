#include "actors/providers/retry_schedule.hpp"

#include <algorithm>

#include "protocols/seeded_random.hpp"

namespace ledgerflow {

retry_schedule::retry_schedule(retry_settings settings, uint64_t seed) : settings_(settings), state_(seed) {
  settings_.attempts_max = std::clamp<uint32_t>(settings_.attempts_max, 1, provider_attempts_max);
  settings_.backoff_multiplier = std::max<uint32_t>(settings_.backoff_multiplier, 1);
}

bool retry_schedule::may_retry(uint32_t attempts_made) const {
  return attempts_made < settings_.attempts_max;
}

std::chrono::milliseconds retry_schedule::backoff_ceiling(uint32_t attempts_made) const {
  uint64_t wait = settings_.backoff_initial_ms;
  for (uint32_t i = 1; i < attempts_made && wait < settings_.backoff_max_ms; ++i)
    wait *= settings_.backoff_multiplier;
  return std::chrono::milliseconds(std::min<uint64_t>(wait, settings_.backoff_max_ms));
}

std::chrono::milliseconds retry_schedule::backoff(uint32_t attempts_made) {
  auto ceiling = backoff_ceiling(attempts_made);
  if (!settings_.jitter || ceiling.count() < 2)
    return ceiling;
  auto half = static_cast<uint64_t>(ceiling.count()) / 2;
  return std::chrono::milliseconds(half + next_random() % (half + 1));
}

uint64_t retry_schedule::next_random() {
  return next_seeded_random(state_);
}

} // namespace ledgerflow
