// A clock that only moves when a test moves it: deadlines become exact, no sleeps needed.
#pragma once

#include <atomic>
#include <cstdint>

#include "protocols/clock.hpp"

namespace ledgerflow::testing {

class manual_clock final : public clock {
public:
  explicit manual_clock(int64_t start_us = 1'700'000'000'000'000) : now_us_(start_us) {}

  int64_t now_us() const override { return now_us_.load(std::memory_order_acquire); }
  void advance_us(int64_t delta_us) { now_us_.fetch_add(delta_us, std::memory_order_acq_rel); }
  void advance_ms(int64_t delta_ms) { advance_us(delta_ms * 1000); }

private:
  std::atomic<int64_t> now_us_;
};

} // namespace ledgerflow::testing
