// The gateway's side of the balance-update hub: which WebSocket sessions follow which
// account, and the fan-out of durable batches to them.
//
// publish() only queues a batch (it runs on a ledger thread). The hub's own thread takes
// every batch queued so far as one round: each entry with at least one subscriber becomes one
// push_event, handed to every subscriber of its account (they only queue it); then each
// subscriber that got something is flushed once, which for a plain-TCP WebSocket means one
// non-blocking write of all its new frames straight from this thread. When the thread falls
// behind, a round spans several commits and each write carries more frames: the fan-out
// batches itself under load instead of queueing a write per update. The subscription table is
// sharded by account so sessions subscribing rarely wait for a round in progress.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "actors/ledger_api.hpp"
#include "gateway/ws/push_event.hpp"
#include "protocols/asset_registry.hpp"

namespace ledgerflow::ws {

class push_subscriber {
public:
  // Called with the account's shard locked, on the hub's thread, in commit order per
  // account. Must only queue: never block, never call back into the hub. Returns itself when
  // it wants flush_pushed() once the round's deliveries are all queued (the first delivery
  // since its last flush), null otherwise.
  virtual std::shared_ptr<push_subscriber> deliver(const push_event_ptr& event) = 0;
  // Called on the hub's thread after the round, with no lock of the hub held.
  virtual void flush_pushed() = 0;

protected:
  ~push_subscriber() = default;
};

class push_hub {
public:
  explicit push_hub(const asset_registry& assets);
  ~push_hub();

  push_hub(const push_hub&) = delete;
  push_hub& operator=(const push_hub&) = delete;

  // A subscriber must remove itself from every account before it is destroyed; once
  // remove() returns, no delivery to it is in progress or will start for that account.
  void add(const std::string& account, push_subscriber* subscriber);
  void remove(const std::string& account, push_subscriber* subscriber);

  // From any thread: queues the batch for the hub's thread (started on first use), stamped
  // with its commit time (or now, if it carries none).
  void publish(const durable_entries& batch);

  // One round, on the calling thread: what the hub's thread does with the batches it took.
  struct stamped_batch {
    durable_entries entries;
    int64_t durable_us = 0;
  };
  void run_round(const std::vector<stamped_batch>& batches);

  // Stops the thread; no delivery is in progress once it returns, and none starts later.
  void close();

  uint64_t events_published() const { return events_published_.load(std::memory_order_relaxed); }
  uint64_t deliveries() const { return deliveries_.load(std::memory_order_relaxed); }
  uint64_t rounds() const { return rounds_.load(std::memory_order_relaxed); }

private:
  static constexpr size_t shard_count = 64;

  struct shard {
    std::mutex mutex;
    std::unordered_map<std::string, std::vector<push_subscriber*>> subscribers;
  };

  shard& shard_for(const std::string& account);
  void run_thread();

  const asset_registry& assets_;
  std::array<shard, shard_count> shards_;
  std::atomic<bool> closed_{false};

  std::mutex queue_mutex_;
  std::condition_variable queue_ready_;
  std::vector<stamped_batch> queue_;
  bool stopping_ = false;
  std::thread thread_;

  std::atomic<uint64_t> events_published_{0};
  std::atomic<uint64_t> deliveries_{0};
  std::atomic<uint64_t> rounds_{0};
};

} // namespace ledgerflow::ws
