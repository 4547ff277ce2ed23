// splitmix64: a tiny seeded generator for jitter and simulated faults. Not for secrets.
#pragma once

#include <cstdint>

namespace ledgerflow {

inline uint64_t next_seeded_random(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// A uniform draw in [0, 1).
inline double next_seeded_unit(uint64_t& state) {
  return static_cast<double>(next_seeded_random(state) >> 11) * 0x1.0p-53;
}

} // namespace ledgerflow
