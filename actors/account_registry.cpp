#include "actors/account_registry.hpp"

#include <algorithm>

#include <caf/actor_cast.hpp>
#include <caf/message_id.hpp>
#include <caf/send.hpp>

#include "actors/ledger_metrics.hpp"

namespace ledgerflow {

account_registry::account_registry(size_t shard_count, spawner spawn, std::shared_ptr<ledger_metrics> metrics)
  : spawn_(std::move(spawn)), metrics_(std::move(metrics)) {
  for (size_t index = 0; index < std::max<size_t>(1, shard_count); ++index)
    shards_.push_back(std::make_unique<shard>());
}

void account_registry::send(const std::string& account, caf::message message, caf::execution_unit* host) {
  auto hash = hash_of(account);
  auto& part = shard_of(hash);
  // The count goes up under the lock, before the enqueue: a passivation check can never see
  // a count that matches while this command is still on its way to the mailbox.
  std::lock_guard<std::mutex> lock(part.mutex);
  auto* found = part.accounts.find(account, hash);
  if (found == nullptr) {
    found = &part.accounts.insert(account, hash, spawn_(account));
    metrics_->accounts_spawned.fetch_add(1, std::memory_order_relaxed);
    metrics_->accounts_active.fetch_add(1, std::memory_order_relaxed);
  }
  ++found->commands_routed;
  found->actor->enqueue(nullptr, caf::make_message_id(), std::move(message), host);
}

bool account_registry::try_passivate(const std::string& account, const caf::actor_addr& actor,
                                     uint64_t commands_received) {
  auto hash = hash_of(account);
  auto& part = shard_of(hash);
  std::lock_guard<std::mutex> lock(part.mutex);
  auto* found = part.accounts.find(account, hash);
  if (found == nullptr || found->actor.address() != actor || found->commands_routed != commands_received)
    return false;
  part.accounts.erase(account, hash);
  metrics_->accounts_passivated.fetch_add(1, std::memory_order_relaxed);
  metrics_->accounts_active.fetch_sub(1, std::memory_order_relaxed);
  return true;
}

void account_registry::forget(const std::string& account, const caf::actor_addr& actor) {
  auto hash = hash_of(account);
  auto& part = shard_of(hash);
  std::lock_guard<std::mutex> lock(part.mutex);
  auto* found = part.accounts.find(account, hash);
  if (found == nullptr || found->actor.address() != actor)
    return;
  part.accounts.erase(account, hash);
  metrics_->accounts_active.fetch_sub(1, std::memory_order_relaxed);
}

void account_registry::stop_all(caf::exit_reason reason) {
  for (auto& part : shards_) {
    std::vector<caf::actor> actors;
    {
      std::lock_guard<std::mutex> lock(part->mutex);
      part->accounts.drain([&actors](caf::actor& actor) { actors.push_back(std::move(actor)); });
    }
    for (auto& actor : actors)
      caf::anon_send_exit(actor, reason);
    metrics_->accounts_active.fetch_sub(static_cast<int64_t>(actors.size()), std::memory_order_relaxed);
  }
}

size_t account_registry::active() const {
  size_t count = 0;
  for (const auto& part : shards_) {
    std::lock_guard<std::mutex> lock(part->mutex);
    count += part->accounts.size();
  }
  return count;
}

} // namespace ledgerflow
