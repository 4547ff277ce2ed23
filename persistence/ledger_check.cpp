#include "persistence/ledger_check.hpp"

#include <optional>

#include "protocols/bucket.hpp"

namespace ledgerflow {

namespace {

class checker {
public:
  checker(journal& store, const asset_registry& assets, size_t problems_max)
    : store_(store), assets_(assets), problems_max_(problems_max) {}

  ledger_check_report run() {
    store_.scan_entries([this](const journal_entry& entry) {
      visit(entry);
      return true;
    });
    finish_account();
    add_inflight_legs();
    for (const auto& [asset, total] : report_.asset_totals)
      if (total != 0)
        problem("asset " + asset + " does not balance: the sum of all buckets and in-flight legs is "
                + to_decimal_string(total) + " minor units, expected 0");
    return std::move(report_);
  }

private:
  void problem(std::string text) {
    if (report_.problems.size() < problems_max_)
      report_.problems.push_back(std::move(text));
  }

  void visit(const journal_entry& entry) {
    if (!book_ || book_->account() != entry.account) {
      finish_account();
      book_.emplace(entry.account);
      broken_ = false;
      snapshot_ = store_.latest_snapshot(entry.account);
      ++report_.accounts;
    }
    ++report_.entries;
    if (broken_)
      return;  // one problem per account: later entries cannot be judged after a break
    if (auto replayed = book_->replay(entry); !replayed) {
      problem(replayed.error().message);
      broken_ = true;
      return;
    }
    if (snapshot_ && snapshot_->seq == book_->seq()) {
      if (!(book_->snapshot() == *snapshot_))
        problem(book_->account() + ": snapshot at seq " + std::to_string(snapshot_->seq)
                + " differs from the fold of its entries");
      snapshot_.reset();
    }
  }

  void finish_account() {
    if (!book_ || broken_)
      return;
    check_snapshot();
    for (const auto& balance : book_->snapshot().balances) {
      auto bucket = parse_bucket(balance.bucket, assets_);
      if (!bucket) {
        problem(book_->account() + " has a bucket the configuration does not know: " + balance.bucket);
        continue;
      }
      auto& total = report_.asset_totals[bucket->asset_code];
      total += balance.available + balance.held;
    }
  }

  void check_snapshot() {
    if (snapshot_)
      problem(book_->account() + ": snapshot at seq " + std::to_string(snapshot_->seq) + " is past the last entry");
  }

  void add_inflight_legs() {
    for (const auto& leg : store_.inflight_legs()) {
      ++report_.inflight_legs;
      // The outgoing leg left the sender's bucket; until the incoming leg lands it is owed.
      report_.asset_totals[leg.asset_code] += leg.amount;
    }
  }

  journal& store_;
  const asset_registry& assets_;
  size_t problems_max_;
  ledger_check_report report_;
  std::optional<account_book> book_;
  std::optional<account_snapshot> snapshot_;  // the account's latest, until the scan reaches it
  bool broken_ = false;
};

} // namespace

ledger_check_report check_ledger(journal& store, const asset_registry& assets, size_t problems_max) {
  return checker(store, assets, problems_max).run();
}

} // namespace ledgerflow
