// Collects failures seen by the threads of a concurrency test: how many, and the first one
// in full, so the test can CHECK once on the main thread with a readable message.
#pragma once

#include <atomic>
#include <mutex>
#include <string>

namespace ledgerflow::testing {

class failure_log {
public:
  void operator()(const std::string& what) {
    std::lock_guard<std::mutex> guard(mutex_);
    if (count_++ == 0)
      first_ = what;
  }
  int count() const { return count_.load(); }
  std::string first() const {
    std::lock_guard<std::mutex> guard(mutex_);
    return first_;
  }

private:
  std::atomic<int> count_{0};
  mutable std::mutex mutex_;
  std::string first_;
};

} // namespace ledgerflow::testing
