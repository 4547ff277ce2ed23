// The journal conformance suite: what every journal store must do, written against the
// journal interface only. A store's test file instantiates it with a store fixture type:
//
//   struct my_store {                        // constructed fresh (empty) for every case
//     std::unique_ptr<ledgerflow::journal> open();  // opens it; again after a close = reopen
//   };
//   TYPE_TO_STRING(my_store);
//   LEDGERFLOW_JOURNAL_CONFORMANCE(my_store);
#pragma once

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "persistence/journal.hpp"
#include "tests/persistence/journal_samples.hpp"
#include "tests/persistence/saga_log_conformance.hpp"
#include "tests/support/failure_log.hpp"

namespace ledgerflow::conformance {

inline bool same_leg(const inflight_leg& a, const inflight_leg& b) {
  return a.transfer_id == b.transfer_id && a.from_account == b.from_account && a.from_bucket == b.from_bucket
         && a.from_seq == b.from_seq && a.to_account == b.to_account && a.to_bucket == b.to_bucket
         && a.asset_code == b.asset_code && a.amount == b.amount && a.idempotency_key == b.idempotency_key
         && a.request_hash == b.request_hash && a.timestamp_us == b.timestamp_us;
}

// The interface leaves the order of in-flight legs open.
inline std::vector<std::string> inflight_ids(journal& store) {
  std::vector<std::string> ids;
  for (const auto& leg : store.inflight_legs())
    ids.push_back(leg.transfer_id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

inline std::vector<journal_entry> all_entries(journal& store, const std::string& account) {
  return store.read_entries(account, 0, 1'000'000);
}

inline std::vector<journal_entry> scanned(journal& store) {
  std::vector<journal_entry> result;
  store.scan_entries([&](const journal_entry& entry) {
    result.push_back(entry);
    return true;
  });
  return result;
}

// Checks, from a reader thread, that what one account shows is a prefix of what the writer
// thread appends: whole batches of `batch_size`, dense, each entry as written.
inline bool is_whole_batch_prefix(const std::vector<journal_entry>& seen, const std::string& account,
                                  size_t batch_size) {
  if (seen.size() % batch_size != 0)
    return false;
  for (size_t i = 0; i < seen.size(); ++i)
    if (!(seen[i] == samples::entry(account, i + 1)))
      return false;
  return true;
}

} // namespace ledgerflow::conformance

TEST_CASE_TEMPLATE_DEFINE("appended entries read back equal, field by field", store_type,
                          journal_reads_back_entries) {
  using namespace ledgerflow;
  store_type store;
  auto ledger = store.open();
  CHECK(ledger->healthy());
  CHECK(conformance::all_entries(*ledger, "user:alice").empty());
  auto written = samples::entries("user:alice", 1, 12);
  ledger->append(samples::batch_of(written));
  CHECK(conformance::all_entries(*ledger, "user:alice") == written);
  ledger->append(append_batch{});  // an empty batch changes nothing
  CHECK(conformance::all_entries(*ledger, "user:alice") == written);
  CHECK(conformance::all_entries(*ledger, "user:bob").empty());
}

TEST_CASE_TEMPLATE_DEFINE("read_entries pages by after_seq and limit", store_type, journal_pages_entries) {
  using namespace ledgerflow;
  store_type store;
  auto ledger = store.open();
  ledger->append(samples::batch_of(samples::entries("user:alice", 1, 3)));
  ledger->append(samples::batch_of(samples::entries("user:alice", 4, 2)));
  ledger->append(samples::batch_of(samples::entries("user:bob", 1, 4)));
  CHECK(ledger->read_entries("user:alice", 0, 2) == samples::entries("user:alice", 1, 2));
  CHECK(ledger->read_entries("user:alice", 2, 2) == samples::entries("user:alice", 3, 2));
  CHECK(ledger->read_entries("user:alice", 4, 10) == samples::entries("user:alice", 5, 1));
  CHECK(ledger->read_entries("user:alice", 5, 10).empty());
  CHECK(ledger->read_entries("user:alice", 1, 0).empty());
  CHECK(ledger->read_entries("user:bob", 3, 10) == samples::entries("user:bob", 4, 1));
  CHECK(ledger->read_entries("user:carol", 0, 10).empty());
}

TEST_CASE_TEMPLATE_DEFINE("last_seq is 0 for an unknown account and follows each append", store_type,
                          journal_last_seq) {
  using namespace ledgerflow;
  store_type store;
  auto ledger = store.open();
  CHECK(ledger->last_seq("user:alice") == 0);
  ledger->append(samples::batch_of(samples::entries("user:alice", 1, 3)));
  CHECK(ledger->last_seq("user:alice") == 3);
  auto both = samples::entries("user:alice", 4, 1);
  samples::add(both, samples::entries("user:bob", 1, 2));
  ledger->append(samples::batch_of(both));
  CHECK(ledger->last_seq("user:alice") == 4);
  CHECK(ledger->last_seq("user:bob") == 2);
  CHECK(ledger->last_seq("user:carol") == 0);
}

TEST_CASE_TEMPLATE_DEFINE("a gap is rejected and nothing of its batch is written", store_type, journal_rejects_gap) {
  using namespace ledgerflow;
  store_type store;
  auto ledger = store.open();
  auto first = samples::batch_of(samples::entries("user:alice", 1, 2));
  first.opened_legs.push_back(samples::leg("t-keep"));
  ledger->append(first);

  // Every part of the bad batch is valid on its own; only alice's seq 4 (after 2) is wrong.
  auto bad = samples::batch_of(samples::entries("user:bob", 1, 2));
  samples::add(bad.entries, samples::entries("user:alice", 4, 1));
  bad.idempotency_records.push_back(samples::record("k-gap"));
  bad.snapshots.push_back(samples::snapshot("user:bob", 2));
  bad.opened_legs.push_back(samples::leg("t-gap"));
  bad.closed_transfer_ids.push_back("t-keep");
  CHECK_THROWS_AS(ledger->append(bad), journal_conflict);

  CHECK(conformance::all_entries(*ledger, "user:bob").empty());
  CHECK(ledger->last_seq("user:alice") == 2);
  CHECK_FALSE(ledger->find_idempotency("k-gap"));
  CHECK_FALSE(ledger->latest_snapshot("user:bob"));
  CHECK(conformance::inflight_ids(*ledger) == std::vector<std::string>{"t-keep"});
  CHECK(ledger->accounts() == std::vector<std::string>{"user:alice"});

  // A new account must start at 1, and a batch may not skip inside itself either.
  CHECK_THROWS_AS(ledger->append(samples::batch_of(samples::entries("user:carol", 2, 1))), journal_conflict);
  auto inner_gap = samples::entries("user:alice", 3, 1);
  samples::add(inner_gap, samples::entries("user:alice", 5, 1));
  CHECK_THROWS_AS(ledger->append(samples::batch_of(inner_gap)), journal_conflict);
  CHECK(ledger->last_seq("user:alice") == 2);
  CHECK(ledger->last_seq("user:carol") == 0);
  CHECK(ledger->healthy());
}

TEST_CASE_TEMPLATE_DEFINE("a duplicate seq is rejected and the journal stays usable", store_type,
                          journal_rejects_duplicate) {
  using namespace ledgerflow;
  store_type store;
  auto ledger = store.open();
  auto written = samples::entries("user:alice", 1, 3);
  ledger->append(samples::batch_of(written));
  CHECK_THROWS_AS(ledger->append(samples::batch_of(samples::entries("user:alice", 3, 1))), journal_conflict);
  CHECK_THROWS_AS(ledger->append(samples::batch_of(samples::entries("user:alice", 2, 3))), journal_conflict);
  CHECK_THROWS_AS(ledger->append(samples::batch_of(written)), journal_conflict);  // a replayed batch
  auto twice = samples::entries("user:alice", 4, 1);
  samples::add(twice, samples::entries("user:alice", 4, 1));
  CHECK_THROWS_AS(ledger->append(samples::batch_of(twice)), journal_conflict);
  CHECK(conformance::all_entries(*ledger, "user:alice") == written);

  ledger->append(samples::batch_of(samples::entries("user:alice", 4, 1)));
  CHECK(conformance::all_entries(*ledger, "user:alice") == samples::entries("user:alice", 1, 4));
  CHECK(ledger->healthy());
}

TEST_CASE_TEMPLATE_DEFINE("a repeated idempotency key rejects its whole batch", store_type,
                          journal_idempotency_conflict) {
  using namespace ledgerflow;
  store_type store;
  auto ledger = store.open();
  auto first = samples::batch_of(samples::entries("user:alice", 1, 1));
  first.idempotency_records.push_back(samples::record("k1", "first"));
  ledger->append(first);

  auto repeat = samples::batch_of(samples::entries("user:alice", 2, 1));
  samples::add(repeat.entries, samples::entries("user:bob", 1, 1));
  repeat.idempotency_records = {samples::record("k2"), samples::record("k1", "second")};
  CHECK_THROWS_AS(ledger->append(repeat), journal_conflict);
  CHECK(ledger->last_seq("user:alice") == 1);
  CHECK(ledger->last_seq("user:bob") == 0);
  CHECK_FALSE(ledger->find_idempotency("k2"));
  REQUIRE(ledger->find_idempotency("k1"));
  CHECK(ledger->find_idempotency("k1")->response == "first");

  auto twice = samples::batch_of(samples::entries("user:alice", 2, 1));
  twice.idempotency_records = {samples::record("k3"), samples::record("k3")};
  CHECK_THROWS_AS(ledger->append(twice), journal_conflict);
  CHECK_FALSE(ledger->find_idempotency("k3"));
  CHECK(ledger->last_seq("user:alice") == 1);
}

TEST_CASE_TEMPLATE_DEFINE("an idempotency record is found by its key, exactly as written", store_type,
                          journal_finds_idempotency) {
  using namespace ledgerflow;
  store_type store;
  auto ledger = store.open();
  CHECK_FALSE(ledger->find_idempotency("k1"));
  append_batch batch;  // a batch may carry records and no entries
  batch.idempotency_records = {samples::record("k1", "{\"transfer\":\"t1\",\"note\":\"caf\xC3\xA9\"}"),
                               samples::record("k2", "")};
  ledger->append(batch);
  REQUIRE(ledger->find_idempotency("k1"));
  CHECK(*ledger->find_idempotency("k1") == batch.idempotency_records[0]);
  REQUIRE(ledger->find_idempotency("k2"));
  CHECK(*ledger->find_idempotency("k2") == batch.idempotency_records[1]);
  CHECK_FALSE(ledger->find_idempotency("k3"));
  CHECK_FALSE(ledger->find_idempotency("K1"));
}

TEST_CASE_TEMPLATE_DEFINE("the snapshot with the highest seq wins", store_type, journal_latest_snapshot) {
  using namespace ledgerflow;
  store_type store;
  auto ledger = store.open();
  CHECK_FALSE(ledger->latest_snapshot("user:alice"));
  auto batch = samples::batch_of(samples::entries("user:alice", 1, 6));
  batch.snapshots.push_back(samples::snapshot("user:alice", 2));
  ledger->append(batch);
  REQUIRE(ledger->latest_snapshot("user:alice"));
  CHECK(*ledger->latest_snapshot("user:alice") == samples::snapshot("user:alice", 2));

  append_batch later;
  later.snapshots = {samples::snapshot("user:alice", 4), samples::snapshot("user:alice", 6)};
  ledger->append(later);
  CHECK(*ledger->latest_snapshot("user:alice") == samples::snapshot("user:alice", 6));

  append_batch stale;  // written after, but older: must not replace the newer one
  stale.snapshots = {samples::snapshot("user:alice", 5)};
  ledger->append(stale);
  CHECK(*ledger->latest_snapshot("user:alice") == samples::snapshot("user:alice", 6));
  CHECK_FALSE(ledger->latest_snapshot("user:bob"));

  account_snapshot empty_book;  // no balances, no holds
  empty_book.account = "user:bob";
  ledger->append(append_batch{{}, {}, {empty_book}, {}, {}, {}});
  REQUIRE(ledger->latest_snapshot("user:bob"));
  CHECK(*ledger->latest_snapshot("user:bob") == empty_book);
}

TEST_CASE_TEMPLATE_DEFINE("in-flight legs stay until a later batch closes them", store_type,
                          journal_inflight_legs) {
  using namespace ledgerflow;
  using conformance::inflight_ids;
  store_type store;
  auto ledger = store.open();
  CHECK(ledger->inflight_legs().empty());
  auto opening = samples::batch_of(samples::entries("user:alice", 1, 2));
  opening.opened_legs = {samples::leg("t2"), samples::leg("t1")};
  ledger->append(opening);
  CHECK(inflight_ids(*ledger) == std::vector<std::string>{"t1", "t2"});

  auto closing = samples::batch_of(samples::entries("user:bob", 1, 1));
  closing.closed_transfer_ids = {"t1"};
  ledger->append(closing);
  auto legs = ledger->inflight_legs();
  REQUIRE(legs.size() == 1);
  CHECK(conformance::same_leg(legs[0], samples::leg("t2")));

  append_batch both_legs;  // both legs durable in one batch: never in flight
  both_legs.opened_legs = {samples::leg("t3")};
  both_legs.closed_transfer_ids = {"t3", "t-unknown"};  // closing twice (recovery) is harmless
  ledger->append(both_legs);
  CHECK(inflight_ids(*ledger) == std::vector<std::string>{"t2"});

  append_batch again;
  again.opened_legs = {samples::leg("t2")};
  CHECK_THROWS_AS(ledger->append(again), journal_conflict);
  CHECK(inflight_ids(*ledger) == std::vector<std::string>{"t2"});
}

TEST_CASE_TEMPLATE_DEFINE("accounts and scan_entries come in account and seq order", store_type,
                          journal_scan_order) {
  using namespace ledgerflow;
  store_type store;
  auto ledger = store.open();
  CHECK(ledger->accounts().empty());
  CHECK(conformance::scanned(*ledger).empty());
  // Interleaved and spread over batches, and more than a typical page, so paging shows.
  std::vector<std::string> accounts{"user:carol", "system:fees", "user:alice", "user:bob"};
  std::vector<uint64_t> next_seq(accounts.size(), 1);
  for (int round = 0; round < 5; ++round) {
    append_batch batch;
    for (size_t a = 0; a < accounts.size(); ++a) {
      size_t count = 40 + 37 * a + static_cast<size_t>(round);
      samples::add(batch.entries, samples::entries(accounts[a], next_seq[a], count));
      next_seq[a] += count;
    }
    ledger->append(batch);
  }
  std::vector<journal_entry> expected;
  for (const auto& account : {"system:fees", "user:alice", "user:bob", "user:carol"}) {
    auto a = static_cast<size_t>(std::find(accounts.begin(), accounts.end(), account) - accounts.begin());
    samples::add(expected, samples::entries(account, 1, next_seq[a] - 1));
  }
  CHECK(ledger->accounts() == std::vector<std::string>{"system:fees", "user:alice", "user:bob", "user:carol"});
  auto all = conformance::scanned(*ledger);
  CHECK(all.size() == expected.size());
  CHECK(all == expected);

  for (size_t stop_after : {size_t{1}, size_t{7}, size_t{1'000}, expected.size() - 1}) {
    CAPTURE(stop_after);
    size_t visits = 0;
    ledger->scan_entries([&](const journal_entry&) { return ++visits < stop_after; });
    CHECK(visits == stop_after);
  }
}

TEST_CASE_TEMPLATE_DEFINE("amounts beyond 64 bits round-trip everywhere", store_type, journal_wide_amounts) {
  using namespace ledgerflow;
  store_type store;
  auto ledger = store.open();
  auto wide = samples::entries("system:eth", 1, 3);
  wide[0].amount = minor_units_max;
  wide[0].available_after = minor_units_min;
  wide[0].held_after = samples::beyond_64_bits;
  wide[1].amount = samples::beyond_64_bits;
  wide[1].available_after = -samples::beyond_64_bits;
  wide[2].available_after = minor_units_max - 1;
  auto batch = samples::batch_of(wide);
  auto leg = samples::leg("t-wide");
  leg.amount = minor_units_max;
  batch.opened_legs = {leg};
  batch.snapshots = {samples::snapshot("system:eth", 3)};
  batch.snapshots[0].balances[0].available = minor_units_min;
  ledger->append(batch);

  CHECK(conformance::all_entries(*ledger, "system:eth") == wide);
  auto legs = ledger->inflight_legs();
  REQUIRE(legs.size() == 1);
  CHECK(legs[0].amount == minor_units_max);
  CHECK(conformance::same_leg(legs[0], leg));
  REQUIRE(ledger->latest_snapshot("system:eth"));
  CHECK(*ledger->latest_snapshot("system:eth") == batch.snapshots[0]);
}

TEST_CASE_TEMPLATE_DEFINE("everything survives closing and reopening the store", store_type, journal_reopen) {
  using namespace ledgerflow;
  store_type store;
  auto written = samples::entries("user:alice", 1, 5);
  auto batch = samples::batch_of(written);
  samples::add(batch.entries, samples::entries("user:bob", 1, 2));
  batch.idempotency_records = {samples::record("k1")};
  batch.snapshots = {samples::snapshot("user:alice", 5)};
  batch.opened_legs = {samples::leg("t1")};
  {
    auto ledger = store.open();
    ledger->append(batch);
  }
  auto ledger = store.open();
  CHECK(conformance::all_entries(*ledger, "user:alice") == written);
  CHECK(ledger->last_seq("user:bob") == 2);
  CHECK(ledger->accounts() == std::vector<std::string>{"user:alice", "user:bob"});
  REQUIRE(ledger->find_idempotency("k1"));
  CHECK(*ledger->find_idempotency("k1") == samples::record("k1"));
  REQUIRE(ledger->latest_snapshot("user:alice"));
  CHECK(*ledger->latest_snapshot("user:alice") == samples::snapshot("user:alice", 5));
  CHECK(conformance::inflight_ids(*ledger) == std::vector<std::string>{"t1"});
  // The sequence carries on where it stopped, with the same rules.
  CHECK_THROWS_AS(ledger->append(samples::batch_of(samples::entries("user:alice", 7, 1))), journal_conflict);
  ledger->append(samples::batch_of(samples::entries("user:alice", 6, 1)));
  CHECK(ledger->last_seq("user:alice") == 6);
}

TEST_CASE_TEMPLATE_DEFINE("reads during appends from another thread see whole batches only", store_type,
                          journal_concurrent_reads) {
  using namespace ledgerflow;
  store_type store;
  auto ledger = store.open();
  const std::vector<std::string> accounts{"user:a", "user:b", "user:c"};
  constexpr size_t per_batch = 5;
  constexpr uint64_t batches = 150;
  std::atomic<bool> writing{true};
  std::atomic<int> reads_during_writes{0};
  ledgerflow::testing::failure_log fail;

  std::thread writer([&] {
    try {
      for (uint64_t b = 0; b < batches; ++b) {
        append_batch batch;
        for (const auto& account : accounts)
          samples::add(batch.entries, samples::entries(account, b * per_batch + 1, per_batch));
        ledger->append(batch);
      }
    } catch (const std::exception& failure) {
      fail(std::string("append failed: ") + failure.what());
    }
    writing = false;
  });
  std::thread reader([&] {
    std::vector<uint64_t> last_seen(accounts.size(), 0);
    while (writing) {
      for (size_t a = 0; a < accounts.size(); ++a) {
        auto seen = conformance::all_entries(*ledger, accounts[a]);
        if (!conformance::is_whole_batch_prefix(seen, accounts[a], per_batch))
          fail("read_entries of " + accounts[a] + " gave " + std::to_string(seen.size()) + " entries, not whole batches");
        auto head = ledger->last_seq(accounts[a]);
        if (head % per_batch != 0 || head < last_seen[a])
          fail("last_seq of " + accounts[a] + " went from " + std::to_string(last_seen[a]) + " to " + std::to_string(head));
        last_seen[a] = head;
      }
      ++reads_during_writes;
    }
  });
  std::thread scanner([&] {
    while (writing) {
      std::vector<std::vector<journal_entry>> by_account(accounts.size());
      for (const auto& entry : conformance::scanned(*ledger)) {
        auto a = static_cast<size_t>(std::find(accounts.begin(), accounts.end(), entry.account) - accounts.begin());
        if (a == accounts.size())
          fail("scan_entries showed an unknown account " + entry.account);
        else
          by_account[a].push_back(entry);
      }
      for (size_t a = 0; a < accounts.size(); ++a)
        if (!conformance::is_whole_batch_prefix(by_account[a], accounts[a], per_batch))
          fail("scan_entries showed a torn prefix of " + accounts[a]);
    }
  });
  writer.join();
  reader.join();
  scanner.join();

  INFO(fail.first());
  CHECK(fail.count() == 0);
  CHECK(reads_during_writes > 0);
  for (const auto& account : accounts)
    CHECK(ledger->last_seq(account) == batches * per_batch);
}

// Instantiates every case above for one store fixture type.
#define LEDGERFLOW_JOURNAL_CONFORMANCE(store_type)                            \
  TEST_CASE_TEMPLATE_INVOKE(journal_reads_back_entries, store_type);          \
  TEST_CASE_TEMPLATE_INVOKE(journal_pages_entries, store_type);               \
  TEST_CASE_TEMPLATE_INVOKE(journal_last_seq, store_type);                    \
  TEST_CASE_TEMPLATE_INVOKE(journal_rejects_gap, store_type);                 \
  TEST_CASE_TEMPLATE_INVOKE(journal_rejects_duplicate, store_type);           \
  TEST_CASE_TEMPLATE_INVOKE(journal_idempotency_conflict, store_type);        \
  TEST_CASE_TEMPLATE_INVOKE(journal_finds_idempotency, store_type);           \
  TEST_CASE_TEMPLATE_INVOKE(journal_latest_snapshot, store_type);             \
  TEST_CASE_TEMPLATE_INVOKE(journal_inflight_legs, store_type);               \
  TEST_CASE_TEMPLATE_INVOKE(journal_scan_order, store_type);                  \
  TEST_CASE_TEMPLATE_INVOKE(journal_wide_amounts, store_type);                \
  TEST_CASE_TEMPLATE_INVOKE(journal_reopen, store_type);                      \
  TEST_CASE_TEMPLATE_INVOKE(journal_concurrent_reads, store_type);          \
  LEDGERFLOW_SAGA_LOG_CONFORMANCE(store_type)
