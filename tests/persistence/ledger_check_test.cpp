#include <doctest/doctest.h>

#include "persistence/ledger_check.hpp"
#include "tests/support/memory_journal.hpp"

using namespace ledgerflow;
using ledgerflow::testing::memory_journal;

namespace {

const entry_cause cause{"transfer", "t"};
const auto assets = asset_registry::defaults();

// A balanced ledger: the bank pays alice 1000, alice pays bob 300 (each leg by its own book).
struct balanced_ledger {
  account_book bank{"system:bank"};
  account_book alice{"user:alice"};
  account_book bob{"user:bob"};
  std::vector<journal_entry> entries;

  balanced_ledger() {
    entries.push_back(*bank.debit("banking/USD", 1000, cause, {"user:alice", "banking/USD"}, 1));
    entries.push_back(*alice.credit("banking/USD", 1000, cause, {"system:bank", "banking/USD"}, 1));
    entries.push_back(*alice.debit("banking/USD", 300, cause, {"user:bob", "banking/USD"}, 2));
    entries.push_back(*bob.credit("banking/USD", 300, cause, {"user:alice", "banking/USD"}, 2));
  }

  memory_journal store(const std::function<void(std::vector<journal_entry>&)>& tamper = {}) {
    auto copy = entries;
    if (tamper)
      tamper(copy);
    memory_journal journal;
    append_batch batch;
    batch.entries = copy;
    journal.append(batch);
    return journal;
  }
};

bool mentions(const ledger_check_report& report, const std::string& text) {
  for (const auto& problem : report.problems)
    if (problem.find(text) != std::string::npos)
      return true;
  return false;
}

} // namespace

TEST_CASE("check passes a balanced ledger and reports zero per asset") {
  balanced_ledger ledger;
  auto store = ledger.store();
  auto report = check_ledger(store, assets);
  CHECK(report.ok());
  CHECK(report.accounts == 3);
  CHECK(report.entries == 4);
  CHECK(report.asset_totals.at("USD") == 0);
}

TEST_CASE("check finds a gap in an account's sequence") {
  balanced_ledger ledger;
  auto store = ledger.store([](auto& entries) { entries[2].seq = 3; });
  auto report = check_ledger(store, assets);
  CHECK_FALSE(report.ok());
  CHECK(mentions(report, "expected seq 2"));
}

TEST_CASE("check finds a recorded balance that is not the fold of the entries") {
  balanced_ledger ledger;
  auto store = ledger.store([](auto& entries) { entries[3].available_after = 301; });
  auto report = check_ledger(store, assets);
  CHECK_FALSE(report.ok());
  CHECK(mentions(report, "differs from the fold"));
}

TEST_CASE("check finds a user bucket below zero") {
  account_book carol("user:carol");
  // Forge an overdraft the actor would have refused, with self-consistent balances.
  journal_entry overdraft;
  overdraft.account = "user:carol";
  overdraft.seq = 1;
  overdraft.kind = entry_kind::debit;
  overdraft.bucket = "banking/USD";
  overdraft.amount = 5;
  overdraft.available_after = -5;
  account_book bank("system:bank");
  auto credit = *bank.credit("banking/USD", 5, cause, {"user:carol", "banking/USD"}, 1);
  memory_journal store;
  append_batch batch;
  batch.entries = {overdraft, credit};
  store.append(batch);
  auto report = check_ledger(store, assets);
  CHECK_FALSE(report.ok());
  CHECK(mentions(report, "went negative"));
}

TEST_CASE("check finds money created from nothing") {
  balanced_ledger ledger;
  auto store = ledger.store([](auto& entries) { entries.erase(entries.begin()); });  // drop the bank's debit
  auto report = check_ledger(store, assets);
  CHECK_FALSE(report.ok());
  CHECK(mentions(report, "asset USD does not balance"));
}

TEST_CASE("an in-flight leg keeps the ledger balanced until its credit lands") {
  account_book bank("system:bank");
  auto debit = *bank.debit("banking/USD", 700, cause, {"user:dan", "banking/USD"}, 1);
  memory_journal store;
  append_batch batch;
  batch.entries = {debit};
  store.append(batch);
  CHECK_FALSE(check_ledger(store, assets).ok());
  append_batch marker;
  marker.opened_legs.push_back(inflight_leg{"t", "system:bank", "banking/USD", 1, "user:dan", "banking/USD", "USD", 700, "k", "h", 1});
  store.append(marker);
  auto report = check_ledger(store, assets);
  CHECK(report.ok());
  CHECK(report.inflight_legs == 1);
}

TEST_CASE("check finds a snapshot that differs from the fold of its entries") {
  balanced_ledger ledger;
  auto store = ledger.store();
  auto snapshot = ledger.alice.snapshot();
  snapshot.balances[0].available += 1;
  append_batch batch;
  batch.snapshots.push_back(snapshot);
  store.append(batch);
  auto report = check_ledger(store, assets);
  CHECK_FALSE(report.ok());
  CHECK(mentions(report, "snapshot at seq 2 differs"));
}
