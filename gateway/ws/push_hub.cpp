#include "gateway/ws/push_hub.hpp"

#include <algorithm>
#include <chrono>
#include <functional>

namespace ledgerflow::ws {

namespace {

int64_t unix_now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
    .count();
}

} // namespace

push_hub::push_hub(const asset_registry& assets) : assets_(assets) {}

push_hub::shard& push_hub::shard_for(const std::string& account) {
  return shards_[std::hash<std::string>{}(account) % shard_count];
}

void push_hub::add(const std::string& account, push_subscriber* subscriber) {
  auto& target = shard_for(account);
  std::lock_guard<std::mutex> lock(target.mutex);
  target.subscribers[account].push_back(subscriber);
}

void push_hub::remove(const std::string& account, push_subscriber* subscriber) {
  auto& target = shard_for(account);
  std::lock_guard<std::mutex> lock(target.mutex);
  auto found = target.subscribers.find(account);
  if (found == target.subscribers.end())
    return;
  auto& list = found->second;
  list.erase(std::remove(list.begin(), list.end(), subscriber), list.end());
  if (list.empty())
    target.subscribers.erase(found);
}

void push_hub::publish(const durable_entries& batch) {
  if (!batch)
    return;
  // One reading of the clock per batch: every entry of it became durable in the same commit.
  auto durable_us = unix_now_us();
  uint64_t events = 0;
  uint64_t delivered = 0;
  for (const auto& entry : *batch) {
    auto& source = shard_for(entry.account);
    std::lock_guard<std::mutex> lock(source.mutex);
    if (closed_.load(std::memory_order_relaxed))
      return;
    auto found = source.subscribers.find(entry.account);
    if (found == source.subscribers.end())
      continue;  // nobody listens: nothing is encoded
    auto event = std::make_shared<const push_event>(batch, entry, durable_us, assets_);
    for (auto* subscriber : found->second)
      subscriber->deliver(event);
    ++events;
    delivered += found->second.size();
  }
  events_published_.fetch_add(events, std::memory_order_relaxed);
  deliveries_.fetch_add(delivered, std::memory_order_relaxed);
}

void push_hub::close() {
  closed_.store(true);
  // Taking each lock once waits out a fan-out in progress on that shard.
  for (auto& each : shards_)
    std::lock_guard<std::mutex> wait_out(each.mutex);
}

} // namespace ledgerflow::ws
