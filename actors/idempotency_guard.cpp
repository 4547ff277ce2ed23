#include "actors/idempotency_guard.hpp"

#include <algorithm>

#include "actors/ledger_metrics.hpp"

namespace ledgerflow {

namespace {

error mismatch() {
  return make_error(error_code::idempotency_mismatch, "this idempotency key was used with a different request");
}

} // namespace

idempotency_guard::idempotency_guard(std::shared_ptr<journal> store, std::shared_ptr<const clock> time,
                                     std::shared_ptr<ledger_metrics> metrics, options settings)
  : store_(std::move(store)), time_(std::move(time)), metrics_(std::move(metrics)), options_(settings) {
  for (size_t index = 0; index < std::max<size_t>(1, options_.shards); ++index)
    shards_.push_back(std::make_unique<shard>());
}

idempotency_guard::shard& idempotency_guard::shard_of(const std::string& key) {
  return *shards_[std::hash<std::string>{}(key) % shards_.size()];
}

outcome<transfer_receipt> idempotency_guard::answer_from_journal(const idempotency_record& record,
                                                                 const std::string& hash) {
  if (record.request_hash != hash)
    return mismatch();
  auto receipt = decode_receipt(record.response);
  if (receipt)
    metrics_->idempotent_replays.fetch_add(1, std::memory_order_relaxed);
  return receipt;
}

std::optional<outcome<transfer_receipt>> idempotency_guard::answer_repeat(shard& part, const std::string& key,
                                                                          key_state& entry, const std::string& hash,
                                                                          callback& done) {
  if (entry.request_hash != hash)
    return mismatch();
  if (!entry.outcome_unknown) {
    entry.waiters.push_back(std::move(done));  // answered by finish()
    return std::nullopt;
  }
  if (auto record = store_->find_idempotency(key)) {
    part.keys.erase(key);  // settled: the journal answers from now on
    return answer_from_journal(*record, hash);
  }
  return make_error(error_code::unavailable, "the first request with this key has not finished; retry later");
}

bool idempotency_guard::begin(const std::string& key, const std::string& request_hash, callback done) {
  auto& part = shard_of(key);
  std::optional<outcome<transfer_receipt>> answer;
  {
    std::lock_guard<std::mutex> lock(part.mutex);
    if (auto found = part.keys.find(key); found != part.keys.end()) {
      answer = answer_repeat(part, key, found->second, request_hash, done);
      if (!answer)
        return false;
    } else if (auto record = store_->find_idempotency(key)) {
      answer.emplace(answer_from_journal(*record, request_hash));
    } else {
      auto& entry = part.keys[key];
      entry.request_hash = request_hash;
      entry.deadline_us = time_->now_us() + int64_t{options_.deadline_ms} * 1000;
      entry.waiters.push_back(std::move(done));
      return true;
    }
  }
  done(std::move(*answer));
  return false;
}

void idempotency_guard::finish(const std::string& key, outcome<transfer_receipt> result) {
  auto& part = shard_of(key);
  std::vector<callback> waiters;
  {
    std::lock_guard<std::mutex> lock(part.mutex);
    auto found = part.keys.find(key);
    if (found == part.keys.end())
      return;
    waiters = std::move(found->second.waiters);
    found->second.waiters.clear();
    bool unknown = !result && result.error().code == error_code::unavailable;
    if (!found->second.outcome_unknown)  // a swept key was counted (as failed) when its callers were answered
      (result ? metrics_->transfers_ok : metrics_->transfers_failed).fetch_add(1, std::memory_order_relaxed);
    if (unknown) {
      // Says nothing about whether the outgoing leg was written: hold the key so a retry
      // cannot move the money a second time (answer_repeat asks the journal).
      found->second.outcome_unknown = true;
    } else {
      // Durable (the journal now answers repeats), or refused having written nothing (the key
      // stays free for a corrected retry).
      part.keys.erase(found);
    }
  }
  for (auto& waiter : waiters)
    waiter(result);
}

void idempotency_guard::sweep_deadlines(int64_t now_us) {
  auto late = make_error(error_code::unavailable,
                         "the transfer did not finish in time; retry with the same idempotency key");
  for (auto& part : shards_) {
    std::vector<callback> waiters;
    {
      std::lock_guard<std::mutex> lock(part->mutex);
      // Only keys under way are here (a few thousand at most), so a scan a second is cheap.
      for (auto& [key, entry] : part->keys) {
        if (entry.outcome_unknown || entry.deadline_us > now_us)
          continue;
        entry.outcome_unknown = true;
        for (auto& waiter : entry.waiters)
          waiters.push_back(std::move(waiter));
        entry.waiters.clear();
        metrics_->transfers_failed.fetch_add(1, std::memory_order_relaxed);
      }
    }
    for (auto& waiter : waiters)
      waiter(late);
  }
}

} // namespace ledgerflow
