// Counts open WebSocket connections per key (client IP, token subject) so one client cannot
// take every connection. A ticket gives its slot back when destroyed.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

namespace ledgerflow::ws {

class connection_quota : public std::enable_shared_from_this<connection_quota> {
public:
  class ticket {
  public:
    ticket() = default;
    ticket(std::shared_ptr<connection_quota> quota, std::string key) : quota_(std::move(quota)), key_(std::move(key)) {}
    ticket(ticket&&) noexcept = default;
    ticket& operator=(ticket&& other) noexcept {
      release();
      quota_ = std::move(other.quota_);
      key_ = std::move(other.key_);
      return *this;
    }
    ~ticket() { release(); }

  private:
    void release() {
      if (quota_)
        quota_->release(key_);
      quota_.reset();
    }

    std::shared_ptr<connection_quota> quota_;
    std::string key_;
  };

  // Fills `out` and returns true when `key` holds fewer than `max` slots.
  bool try_acquire(const std::string& key, size_t max, ticket& out) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto& count = counts_[key];
      if (count >= max) {
        if (count == 0)
          counts_.erase(key);
        return false;
      }
      ++count;
    }
    out = ticket(shared_from_this(), key);
    return true;
  }

  size_t count(const std::string& key) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = counts_.find(key);
    return found == counts_.end() ? 0 : found->second;
  }

private:
  void release(const std::string& key) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = counts_.find(key);
    if (found != counts_.end() && --found->second == 0)
      counts_.erase(found);
  }

  mutable std::mutex mutex_;
  std::unordered_map<std::string, size_t> counts_;
};

} // namespace ledgerflow::ws
