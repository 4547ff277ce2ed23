// The open sessions of one server, so http_server::stop() can drain them: tell each that
// draining began (it finishes the request in hand, answers with Connection: close, and an
// idle one closes at once) and wait, bounded, until the last one ended. Free of Beast: a
// session registers a hook that only posts to its own strand.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ledgerflow {

class session_registry {
public:
  using session_id = uint64_t;
  // Called at most once, on the stopping thread, outside the lock; must only post.
  using drain_hook = std::function<void()>;

  // A session registered after draining began is not told: it reads draining() itself
  // (the lock orders its registration after the flag), and closes before its first read.
  session_id add(drain_hook on_drain) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto id = ++last_id_;
    hooks_.emplace(id, std::move(on_drain));
    return id;
  }

  void remove(session_id id) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      hooks_.erase(id);
    }
    emptied_.notify_all();
  }

  // Lock-free: sessions read it on every request.
  bool draining() const { return draining_.load(); }

  // Sets draining and calls the hook of every session open now.
  void begin_drain() {
    std::vector<drain_hook> hooks;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      draining_.store(true);
      hooks.reserve(hooks_.size());
      for (const auto& [id, hook] : hooks_)
        hooks.push_back(hook);
    }
    for (const auto& hook : hooks)
      hook();
  }

  // True when every session ended before `deadline`.
  bool wait_until_empty(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(mutex_);
    return emptied_.wait_until(lock, deadline, [this] { return hooks_.empty(); });
  }

private:
  mutable std::mutex mutex_;
  std::condition_variable emptied_;
  std::unordered_map<session_id, drain_hook> hooks_;
  session_id last_id_ = 0;
  std::atomic<bool> draining_{false};  // set under mutex_, so add() orders against it
};

} // namespace ledgerflow
