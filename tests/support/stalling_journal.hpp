// A journal that forwards to another but holds every append() while stalled: the way to make
// a durable write take longer than a caller's deadline, deterministically.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>

#include "persistence/journal.hpp"

namespace ledgerflow::testing {

class stalling_journal : public journal {
public:
  explicit stalling_journal(std::shared_ptr<journal> inner) : inner_(std::move(inner)) {}

  void stall() {
    std::lock_guard<std::mutex> lock(mutex_);
    stalled_ = true;
  }
  void release() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stalled_ = false;
    }
    released_.notify_all();
  }

  void append(const append_batch& batch) override {
    std::unique_lock<std::mutex> lock(mutex_);
    released_.wait(lock, [this] { return !stalled_; });
    lock.unlock();
    inner_->append(batch);
  }
  std::vector<journal_entry> read_entries(const std::string& account, uint64_t after_seq, size_t limit) override {
    return inner_->read_entries(account, after_seq, limit);
  }
  uint64_t last_seq(const std::string& account) override { return inner_->last_seq(account); }
  std::optional<account_snapshot> latest_snapshot(const std::string& account) override {
    return inner_->latest_snapshot(account);
  }
  std::optional<idempotency_record> find_idempotency(const std::string& key) override {
    return inner_->find_idempotency(key);
  }
  std::vector<inflight_leg> inflight_legs() override { return inner_->inflight_legs(); }
  std::optional<saga_record> find_saga(const std::string& id) override { return inner_->find_saga(id); }
  std::vector<saga_record> list_sagas(const saga_filter& filter) override { return inner_->list_sagas(filter); }
  std::vector<saga_record> unfinished_sagas() override { return inner_->unfinished_sagas(); }
  std::vector<saga_count> saga_counts() override { return inner_->saga_counts(); }
  std::vector<std::string> accounts() override { return inner_->accounts(); }
  void scan_entries(const std::function<bool(const journal_entry&)>& visit) override { inner_->scan_entries(visit); }
  bool healthy() override { return inner_->healthy(); }

private:
  std::shared_ptr<journal> inner_;
  std::mutex mutex_;
  std::condition_variable released_;
  bool stalled_ = false;
};

} // namespace ledgerflow::testing
