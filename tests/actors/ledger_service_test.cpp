#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <set>
#include <thread>

#include "persistence/ledger_check.hpp"
#include "tests/actors/ledger_fixture.hpp"

using namespace ledgerflow;
using ledgerflow::testing::ledger_fixture;

namespace {
constexpr const char* usd = "banking/USD";
constexpr const char* bank = "system:bank";
} // namespace

TEST_CASE_FIXTURE(ledger_fixture, "a transfer between two accounts writes both legs and answers when durable") {
  start();
  auto receipt = transfer("k1", bank, usd, "user:alice", usd, 10'000);
  REQUIRE(receipt);
  CHECK(receipt->from_seq == 1);
  CHECK(receipt->to_seq == 1);
  CHECK(receipt->asset_code == "USD");
  // Durable means readable from the journal by anyone, not just the actor's memory.
  auto alice = store->read_entries("user:alice", 0, 10);
  REQUIRE(alice.size() == 1);
  CHECK(alice[0].kind == entry_kind::credit);
  CHECK(alice[0].cause_id == receipt->transfer_id);
  CHECK(store->read_entries(bank, 0, 10).size() == 1);
  CHECK(available("user:alice", usd) == 10'000);
  CHECK(available(bank, usd) == -10'000);
}

TEST_CASE_FIXTURE(ledger_fixture, "a user cannot spend more than it has and nothing is written") {
  start();
  REQUIRE(transfer("fund", bank, usd, "user:bob", usd, 500));
  auto refused = transfer("too-much", "user:bob", usd, "user:carol", usd, 501);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == error_code::insufficient_funds);
  CHECK(store->last_seq("user:bob") == 1);
  CHECK(store->last_seq("user:carol") == 0);
  // The rejected key wrote nothing, so a corrected request may use it.
  CHECK(transfer("too-much", "user:bob", usd, "user:carol", usd, 500));
}

TEST_CASE_FIXTURE(ledger_fixture, "a repeated idempotency key returns the first receipt and moves money once") {
  start();
  auto first = transfer("same-key", bank, usd, "user:dave", usd, 700);
  auto again = transfer("same-key", bank, usd, "user:dave", usd, 700);
  REQUIRE(first);
  REQUIRE(again);
  CHECK(again->transfer_id == first->transfer_id);
  CHECK(again->to_seq == first->to_seq);
  CHECK(available("user:dave", usd) == 700);
  auto different = transfer("same-key", bank, usd, "user:dave", usd, 701);
  REQUIRE_FALSE(different);
  CHECK(different.error().code == error_code::idempotency_mismatch);
}

TEST_CASE_FIXTURE(ledger_fixture, "an idempotency key is remembered across a restart") {
  start();
  auto first = transfer("durable-key", bank, usd, "user:erin", usd, 300);
  REQUIRE(first);
  restart();
  auto again = transfer("durable-key", bank, usd, "user:erin", usd, 300);
  REQUIRE(again);
  CHECK(again->transfer_id == first->transfer_id);
  CHECK(available("user:erin", usd) == 300);
  CHECK(transfer("durable-key", bank, usd, "user:erin", usd, 1).error().code == error_code::idempotency_mismatch);
}

TEST_CASE_FIXTURE(ledger_fixture, "concurrent repeats of one key make one transfer") {
  start();
  constexpr int repeats = 16;
  std::vector<std::future<outcome<transfer_receipt>>> answers;
  for (int i = 0; i < repeats; ++i)
    answers.push_back(std::async(std::launch::async, [this] {
      return transfer("racing-key", bank, usd, "user:frank", usd, 100);
    }));
  std::set<std::string> transfer_ids;
  for (auto& answer : answers) {
    auto receipt = answer.get();
    REQUIRE(receipt);
    transfer_ids.insert(receipt->transfer_id);
  }
  CHECK(transfer_ids.size() == 1);
  CHECK(available("user:frank", usd) == 100);
  CHECK(store->last_seq("user:frank") == 1);
}

TEST_CASE_FIXTURE(ledger_fixture, "a transfer between buckets of one account is one atomic group") {
  start();
  REQUIRE(transfer("fund", bank, usd, "user:gina", usd, 1'000));
  auto moved = transfer("move", "user:gina", usd, "user:gina", "investing/USD", 400);
  REQUIRE(moved);
  CHECK(moved->from_seq == 2);
  CHECK(moved->to_seq == 3);
  CHECK(available("user:gina", usd) == 600);
  CHECK(available("user:gina", "investing/USD") == 400);
}

TEST_CASE_FIXTURE(ledger_fixture, "invalid transfers are refused before anything is routed") {
  start();
  CHECK(transfer("", bank, usd, "user:x", usd, 1).error().code == error_code::bad_request);
  CHECK(transfer("k", "alice", usd, "user:x", usd, 1).error().code == error_code::account_invalid);
  CHECK(transfer("k", bank, "banking/XYZ", "user:x", "banking/XYZ", 1).error().code == error_code::unknown_asset);
  CHECK(transfer("k", bank, usd, "user:x", "banking/EUR", 1).error().code == error_code::bad_request);
  CHECK(transfer("k", bank, usd, "user:x", usd, 0).error().code == error_code::amount_invalid);
  CHECK(transfer("k", "user:x", usd, "user:x", usd, 1).error().code == error_code::bad_request);
  CHECK(store->accounts().empty());
}

TEST_CASE_FIXTURE(ledger_fixture, "accounts are rebuilt from snapshot and tail after a restart") {
  config.snapshot_every_entries = 3;
  start();
  for (int i = 0; i < 10; ++i)
    REQUIRE(transfer("fund-" + std::to_string(i), bank, usd, "user:hal", usd, 100 + i));
  REQUIRE(transfer("spend", "user:hal", usd, "user:ivy", usd, 50));
  auto snapshot = store->latest_snapshot("user:hal");
  REQUIRE(snapshot);
  CHECK(snapshot->seq >= 3);
  restart();
  CHECK(available("user:hal", usd) == 1'045 - 50);
  auto view = account("user:hal");
  REQUIRE(view);
  CHECK(view->seq == 11);
  // Sequence continues densely after the rebuild.
  auto next = transfer("spend-2", "user:hal", usd, "user:ivy", usd, 1);
  REQUIRE(next);
  CHECK(next->from_seq == 12);
  CHECK(check_ledger(*store, asset_registry::defaults()).ok());
}

TEST_CASE_FIXTURE(ledger_fixture, "an outgoing leg left in flight by a crash is completed on start") {
  // What a crash between the two legs' batches leaves on disk: the debit and its marker.
  {
    auto crashed = sqlite_journal::open(db_path());
    append_batch batch;
    journal_entry debit;
    debit.account = bank;
    debit.seq = 1;
    debit.kind = entry_kind::debit;
    debit.bucket = usd;
    debit.amount = 2'500;
    debit.available_after = -2'500;
    debit.cause_kind = "transfer";
    debit.cause_id = "tr_crashed";
    debit.counterparty_account = "user:jack";
    debit.counterparty_bucket = usd;
    batch.entries.push_back(debit);
    batch.opened_legs.push_back(inflight_leg{"tr_crashed", bank, usd, 1, "user:jack", usd, "USD", 2'500,
                                             "crash-key", "hash", 1});
    crashed->append(batch);
    auto report = check_ledger(*crashed, asset_registry::defaults());
    CHECK(report.ok());
    CHECK(report.inflight_legs == 1);
  }
  start();
  CHECK(store->inflight_legs().empty());
  CHECK(available("user:jack", usd) == 2'500);
  auto report = check_ledger(*store, asset_registry::defaults());
  CHECK(report.ok());
  CHECK(report.inflight_legs == 0);
  CHECK(store->find_idempotency("crash-key"));
}

TEST_CASE_FIXTURE(ledger_fixture, "an idle account is passivated and comes back with its state") {
  config.account_idle_passivate_ms = 50;
  start();
  REQUIRE(transfer("fund", bank, usd, "user:kim", usd, 900));
  auto metrics = ledger->metrics();
  for (int waited = 0; waited < 200 && metrics->accounts_passivated.load() < 2; ++waited)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(metrics->accounts_passivated.load() >= 2);
  REQUIRE(transfer("spend", "user:kim", usd, "user:lee", usd, 400));
  CHECK(available("user:kim", usd) == 500);
  CHECK(store->last_seq("user:kim") == 2);
}

TEST_CASE_FIXTURE(ledger_fixture, "many concurrent transfers keep every invariant") {
  start();
  REQUIRE(transfer("fund-a", bank, usd, "user:a", usd, 1'000'000));
  REQUIRE(transfer("fund-b", bank, usd, "user:b", usd, 1'000'000));
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int client = 0; client < 4; ++client)
    clients.emplace_back([&, client] {
      for (int i = 0; i < 100; ++i) {
        auto from = (i + client) % 2 ? "user:a" : "user:b";
        auto to = (i + client) % 2 ? "user:b" : "user:a";
        if (transfer("c" + std::to_string(client) + "-" + std::to_string(i), from, usd, to, usd, 1 + i))
          ++ok;
      }
    });
  for (auto& client : clients)
    client.join();
  CHECK(ok.load() == 400);
  CHECK(available("user:a", usd) + available("user:b", usd) == 2'000'000);
  auto report = check_ledger(*store, asset_registry::defaults());
  for (const auto& problem : report.problems)
    MESSAGE(problem);
  CHECK(report.ok());
  CHECK(report.entries == 4 + 800);
}
