// An in-memory, deterministic ledger_api for gateway tests: real account_book rules, a
// counting clock instead of the wall clock, every call counted, and a switch that makes it
// keep callbacks instead of answering (a ledger that hangs), to be released later (late
// answers). Callbacks run on the calling thread, outside the lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "actors/ledger_api.hpp"
#include "protocols/account_book.hpp"

namespace ledgerflow::testing {

class fake_ledger : public ledger_api {
public:
  fake_ledger();

  // Credits `amount` (major units) to the account's bucket from system:seed; aborts the test
  // binary on bad input, since that is a bug in the test.
  void deposit(const std::string& account, const std::string& bucket, const std::string& amount);

  void set_ready(bool ready);
  // While holding, requests are kept unanswered.
  void hold_answers(bool hold);
  // Answers every kept request now; returns how many there were.
  size_t release_held_answers();

  size_t transfer_calls() const;
  size_t read_calls() const;
  std::optional<transfer_request> last_transfer() const;

  void transfer(transfer_request request, callback<transfer_receipt> done) override;
  void hold(hold_request request, callback<transfer_receipt> done) override;
  void release(release_request request, callback<transfer_receipt> done) override;
  void post(post_request request, callback<transfer_receipt> done) override;
  void get_account(std::string account, callback<account_view> done) override;
  void get_entries(std::string account, uint64_t after_seq, size_t limit,
                   callback<std::vector<journal_entry>> done) override;
  void on_durable(durable_listener listener) override;
  bool ready() const override;
  std::string metrics_text() const override;
  const asset_registry& assets() const override { return assets_; }

private:
  struct idempotency_record {
    std::string request_hash;
    outcome<transfer_receipt> result;
  };

  outcome<transfer_receipt> apply_transfer(const transfer_request& request);
  // Runs `apply` (under the lock) once per key: a repeat gets the first result, another
  // payload a mismatch; then answers `done`, or keeps the answer while holding.
  void answer_once_per_key(const std::string& key, const std::string& hash,
                           const std::function<outcome<transfer_receipt>()>& apply, callback<transfer_receipt> done);
  account_book& book_of(const std::string& account);
  void record(const journal_entry& entry);
  // Runs `answer` now, or keeps it while holding.
  void answer_or_hold(std::function<void()> answer);

  asset_registry assets_ = asset_registry::defaults();
  mutable std::mutex mutex_;
  std::map<std::string, account_book> books_;
  std::map<std::string, std::vector<journal_entry>> entries_;
  std::map<std::string, idempotency_record> idempotency_;
  std::vector<std::function<void()>> held_;
  std::vector<durable_listener> listeners_;
  bool ready_ = true;
  bool holding_ = false;
  size_t transfer_calls_ = 0;
  size_t read_calls_ = 0;
  std::optional<transfer_request> last_transfer_;
  uint64_t next_transfer_number_ = 1;
  int64_t clock_us_ = 1'767'225'600'000'000;  // 2026-01-01T00:00:00Z, +1 ms per transfer
};

} // namespace ledgerflow::testing
