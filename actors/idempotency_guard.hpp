// Idempotency of transfers by key: a new key is registered and its caller answered once the
// transfer finishes; a repeat gets the first receipt from the journal (or idempotency_mismatch
// for another payload); a concurrent repeat waits for the first attempt. A key whose first
// attempt timed out is held as "outcome unknown" until the journal shows it, so a retry can
// never pay twice. Only keys under way (or unknown) are kept in memory: finished ones are in
// the journal, whose Bloom filter answers "never seen" in ~75 ns.
// A table behind sharded mutexes, called from the callers' threads and the account actors.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "persistence/journal.hpp"
#include "protocols/clock.hpp"
#include "protocols/transfer.hpp"

namespace ledgerflow {

struct ledger_metrics;

class idempotency_guard {
public:
  using callback = std::function<void(outcome<transfer_receipt>)>;

  struct options {
    size_t shards = 16;
    uint32_t deadline_ms = 10'000;
  };

  idempotency_guard(std::shared_ptr<journal> store, std::shared_ptr<const clock> time,
                    std::shared_ptr<ledger_metrics> metrics, options settings);

  // True when the key is new: it is registered and the caller must start the transfer, whose
  // end is reported through finish(). False when the key was seen: `done` is answered now,
  // or when the first attempt finishes.
  bool begin(const std::string& key, const std::string& request_hash, callback done);

  // The end of an attempt begun here, called once its outcome is durable (or a refusal);
  // answers everyone waiting on the key. Unknown keys are ignored. An `unavailable` failure
  // holds the key (the transfer may still complete).
  void finish(const std::string& key, outcome<transfer_receipt> result);

  // Answers `unavailable` to callers whose deadline (begin + deadline_ms) is at or before
  // `now_us`, holding their keys. The ledger calls it once a second, and with the end of
  // time on stop so no caller is left waiting.
  void sweep_deadlines(int64_t now_us);

private:
  struct key_state {
    std::string request_hash;
    int64_t deadline_us = 0;
    bool outcome_unknown = false;  // answered unavailable; the journal will tell
    std::vector<callback> waiters;
  };
  struct shard {
    std::mutex mutex;
    std::unordered_map<std::string, key_state> keys;
  };

  shard& shard_of(const std::string& key);
  // The answer to a repeated key, or nothing when `done` now waits for the first attempt.
  std::optional<outcome<transfer_receipt>> answer_repeat(shard& part, const std::string& key, key_state& entry,
                                                         const std::string& hash, callback& done);
  outcome<transfer_receipt> answer_from_journal(const idempotency_record& record, const std::string& hash);

  std::shared_ptr<journal> store_;
  std::shared_ptr<const clock> time_;
  std::shared_ptr<ledger_metrics> metrics_;
  options options_;
  std::vector<std::unique_ptr<shard>> shards_;
};

} // namespace ledgerflow
