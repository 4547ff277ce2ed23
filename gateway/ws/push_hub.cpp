#include "gateway/ws/push_hub.hpp"

#include <algorithm>
#include <functional>

#include <pthread.h>

#include "protocols/clock.hpp"

namespace ledgerflow::ws {

push_hub::push_hub(const asset_registry& assets) : assets_(assets) {}

push_hub::~push_hub() {
  close();
}

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
  if (!batch || batch->entries.empty())
    return;
  std::lock_guard<std::mutex> lock(queue_mutex_);
  if (stopping_)
    return;
  if (!thread_.joinable())
    thread_ = std::thread([this] { run_thread(); });
  queue_.push_back(stamped_batch{batch, batch->durable_us != 0 ? batch->durable_us : system_clock().now_us()});
  if (queue_.size() == 1)
    queue_ready_.notify_one();
}

void push_hub::run_thread() {
  pthread_setname_np(pthread_self(), "lf.push");
  std::vector<stamped_batch> round;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(queue_mutex_);
      queue_ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_)
        return;
      round.swap(queue_);
    }
    run_round(round);
    round.clear();
  }
}

void push_hub::run_round(const std::vector<stamped_batch>& batches) {
  std::vector<std::shared_ptr<push_subscriber>> to_flush;
  uint64_t events = 0;
  uint64_t delivered = 0;
  for (const auto& batch : batches) {
    for (const auto& entry : batch.entries->entries) {
      auto& source = shard_for(entry.account);
      std::lock_guard<std::mutex> lock(source.mutex);
      if (closed_.load(std::memory_order_relaxed))
        return;
      auto found = source.subscribers.find(entry.account);
      if (found == source.subscribers.end())
        continue;  // nobody listens: nothing is encoded
      auto event = std::make_shared<const push_event>(batch.entries, entry, batch.durable_us, assets_);
      for (auto* subscriber : found->second)
        if (auto flush = subscriber->deliver(event))
          to_flush.push_back(std::move(flush));
      ++events;
      delivered += found->second.size();
    }
  }
  for (const auto& subscriber : to_flush)
    subscriber->flush_pushed();
  events_published_.fetch_add(events, std::memory_order_relaxed);
  deliveries_.fetch_add(delivered, std::memory_order_relaxed);
  rounds_.fetch_add(1, std::memory_order_relaxed);
}

void push_hub::close() {
  {
    std::lock_guard<std::mutex> lock(queue_mutex_);
    stopping_ = true;
    queue_.clear();
  }
  queue_ready_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id())
    thread_.join();
  closed_.store(true);
  // Taking each lock once waits out a round run by another thread (tests) on that shard.
  for (auto& each : shards_)
    std::lock_guard<std::mutex> wait_out(each.mutex);
}

} // namespace ledgerflow::ws
