// Time as an edge interface (STYLE.md habit 5): the real clock in production, a fake in tests.
#pragma once

#include <chrono>
#include <cstdint>

namespace ledgerflow {

class clock {
public:
  virtual ~clock() = default;
  virtual int64_t now_us() const = 0;  // unix microseconds
};

class system_clock final : public clock {
public:
  int64_t now_us() const override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
  }
};

} // namespace ledgerflow
