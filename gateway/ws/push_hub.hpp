// The gateway's side of the balance-update hub: which WebSocket sessions follow which
// account, and the fan-out of each durable batch to them. A batch arrives on a ledger thread;
// each entry with at least one subscriber becomes one push_event, handed to every subscriber
// of its account (they only queue it and wake their connection). The table is sharded by
// account so subscribing sessions rarely wait for a fan-out in progress.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/ledger_api.hpp"
#include "gateway/ws/push_event.hpp"
#include "protocols/asset_registry.hpp"

namespace ledgerflow::ws {

class push_subscriber {
public:
  // Called with the account's shard locked, on the publishing thread, in commit order per
  // account. Must only queue: never block, never call back into the hub.
  virtual void deliver(const push_event_ptr& event) = 0;

protected:
  ~push_subscriber() = default;
};

class push_hub {
public:
  explicit push_hub(const asset_registry& assets);

  // A subscriber must remove itself from every account before it is destroyed; once
  // remove() returns, no delivery to it is in progress or will start for that account.
  void add(const std::string& account, push_subscriber* subscriber);
  void remove(const std::string& account, push_subscriber* subscriber);

  void publish(const durable_entries& batch);

  // No delivery is in progress once it returns, and none starts later (server stop).
  void close();

  uint64_t events_published() const { return events_published_.load(std::memory_order_relaxed); }
  uint64_t deliveries() const { return deliveries_.load(std::memory_order_relaxed); }

private:
  static constexpr size_t shard_count = 64;

  struct shard {
    std::mutex mutex;
    std::unordered_map<std::string, std::vector<push_subscriber*>> subscribers;
  };

  shard& shard_for(const std::string& account);

  const asset_registry& assets_;
  std::array<shard, shard_count> shards_;
  std::atomic<bool> closed_{false};
  std::atomic<uint64_t> events_published_{0};
  std::atomic<uint64_t> deliveries_{0};
};

} // namespace ledgerflow::ws
