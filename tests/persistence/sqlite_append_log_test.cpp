// The SQLite journal's append-only layout: rows appended in arrival order, indexes filled by a
// bulk merge, the unmerged tail in memory. What must hold on every side of a merge, across a
// crash before the merge, between a writer and a second process, and under concurrent reads.
#include "persistence/sqlite/sqlite_journal.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "persistence/sqlite/sqlite_handle.hpp"
#include "persistence/sqlite/sqlite_schema.hpp"
#include "tests/persistence/journal_conformance.hpp"
#include "tests/persistence/sqlite_file_access.hpp"
#include "tests/support/failure_log.hpp"

using namespace ledgerflow;
using test::temp_directory;

namespace {

// The WAL header's checkpoint sequence number (bytes 12-15, big-endian), which SQLite
// increments each time it starts the WAL over from its beginning.
uint32_t wal_restarts(const std::string& wal_path) {
  std::ifstream wal(wal_path, std::ios::binary);
  unsigned char header[16] = {};
  wal.read(reinterpret_cast<char*>(header), sizeof(header));
  REQUIRE(wal.gcount() == static_cast<std::streamsize>(sizeof(header)));
  return (uint32_t{header[12]} << 24) | (uint32_t{header[13]} << 16) | (uint32_t{header[14]} << 8) | header[15];
}

// What a merge cut short leaves of its keys: some, in a run that is not live (the only one in
// these tests, so numbered 1), whose idempotency records match `where`.
std::string unfinished_key_run(const std::string& where) {
  return "INSERT INTO key_runs (run, level, keys, live) VALUES (1, 0, 0, 0);"
         "INSERT INTO idempotency_index (run, key, pos) SELECT 1, key, pos FROM idempotency WHERE " + where;
}

// Appends a second copy of every entry row, behind the journal's back.
constexpr const char* duplicate_every_entry =
  "INSERT INTO entries (account, seq, kind, bucket, amount, available_after, held_after,"
  " cause_kind, cause_id, counterparty_account, counterparty_bucket, hold_id, ts_us)"
  " SELECT account, seq, kind, bucket, amount, available_after, held_after, cause_kind,"
  " cause_id, counterparty_account, counterparty_bucket, hold_id, ts_us FROM entries";

// `append` makes a merge run into a duplicate: it must stop the journal with a merge failure,
// not report a conflict of the batch it was given (that batch is already committed).
template <class Append>
void check_merge_stops_journal(sqlite_journal& ledger, Append append) {
  try {
    append();
    FAIL("the merge should have refused the duplicate");
  } catch (const journal_conflict&) {
    FAIL("a failed merge is not a conflict of the batch: the batch is already committed");
  } catch (const journal_error& failure) {
    CHECK(std::string(failure.what()).find("merge") != std::string::npos);
  }
  CHECK_FALSE(ledger.healthy());
}

// Writes an entry row by hand with an INSERT whose parameters ?1..?13 follow the entries
// table's columns after pos (files laid out as older releases left them).
void insert_entry_row(sqlite_statement& insert, const journal_entry& entry) {
  auto amount = to_decimal_string(entry.amount);
  auto available_after = to_decimal_string(entry.available_after);
  auto held_after = to_decimal_string(entry.held_after);
  insert.bind(1, entry.account);
  insert.bind(2, static_cast<int64_t>(entry.seq));
  insert.bind(3, static_cast<int64_t>(entry.kind));
  insert.bind(4, entry.bucket);
  insert.bind(5, amount);
  insert.bind(6, available_after);
  insert.bind(7, held_after);
  insert.bind(8, entry.cause_kind);
  insert.bind(9, entry.cause_id);
  insert.bind(10, entry.counterparty_account);
  insert.bind(11, entry.counterparty_bucket);
  insert.bind(12, entry.hold_id);
  insert.bind(13, entry.timestamp_us);
  insert.run();
}

// Merges on the appending thread, so each case sees a merge happen with the append that makes
// it due; background_merging_every() is the default, threaded mode.
sqlite_options merging_every(size_t rows) {
  sqlite_options options;
  options.index_merge_rows = rows;
  options.index_merge_background = false;
  options.synchronous = sqlite_synchronous::normal;  // durability is not what these cases test
  return options;
}

// Merges on the merger's thread in chunks of `chunk_rows`, so reads land between chunks.
sqlite_options background_merging_every(size_t rows, size_t chunk_rows) {
  auto options = merging_every(rows);
  options.index_merge_background = true;
  options.index_merge_chunk_rows = chunk_rows;
  return options;
}

constexpr size_t never = 1'000'000'000;

// No merge, and the merger's thread checkpoints the log every `pages` pages.
sqlite_options checkpointing_every(uint32_t pages) {
  auto options = background_merging_every(never, 4'000);
  options.wal_autocheckpoint_pages = pages;
  return options;
}

int64_t merged_entries(const std::filesystem::path& path) {
  return std::stoll(test::query_text(path, "SELECT value FROM index_meta WHERE name = 'entry_index_merged_pos'"));
}

int64_t logged_entries(const std::filesystem::path& path) {
  return std::stoll(test::query_text(path, "SELECT count(*) FROM entries"));
}

// What the journal should hold: every account's entries and every record, as appended.
struct expected_journal {
  std::map<std::string, std::vector<journal_entry>> entries;
  std::vector<idempotency_record> records;

  // Appends `count` entries to each account, and one record per account, as one batch.
  append_batch next_batch(const std::vector<std::string>& accounts, size_t count) {
    append_batch batch;
    for (const auto& account : accounts) {
      auto more = samples::entries(account, entries[account].size() + 1, count);
      samples::add(batch.entries, more);
      samples::add(entries[account], more);
      batch.idempotency_records.push_back(samples::record("k-" + std::to_string(records.size())));
      records.push_back(batch.idempotency_records.back());
    }
    return batch;
  }

  std::vector<journal_entry> all() const {
    std::vector<journal_entry> result;
    for (const auto& [account, list] : entries)
      samples::add(result, list);
    return result;
  }
};

// Every read the journal offers, compared with what was appended.
void check_reads(journal& ledger, const expected_journal& expected) {
  std::vector<std::string> accounts;
  for (const auto& [account, list] : expected.entries) {
    CAPTURE(account);
    accounts.push_back(account);
    CHECK(conformance::all_entries(ledger, account) == list);
    CHECK(ledger.last_seq(account) == list.size());
    for (size_t after : {size_t{0}, size_t{1}, list.size() / 2, list.size() - 1})
      for (size_t limit : {size_t{1}, size_t{2}, size_t{5}}) {
        auto first = list.begin() + static_cast<std::ptrdiff_t>(after);
        auto last = first + static_cast<std::ptrdiff_t>(std::min(limit, list.size() - after));
        CHECK(ledger.read_entries(account, after, limit) == std::vector<journal_entry>(first, last));
      }
  }
  CHECK(ledger.accounts() == accounts);
  CHECK(conformance::scanned(ledger) == expected.all());
  for (const auto& record : expected.records) {
    auto found = ledger.find_idempotency(record.key);
    REQUIRE(found);
    CHECK(*found == record);
  }
}

} // namespace

TEST_CASE("reads are the same before, across and after every index merge") {
  temp_directory directory;
  auto path = directory.path() / "journal.db";
  auto ledger = sqlite_journal::open(path.string(), merging_every(5));
  expected_journal expected;
  bool saw_merged = false;
  bool saw_tail_beside_merged = false;
  // Batches of 3 to 6 entries over changing accounts: merges land inside accounts' sequences.
  const std::vector<std::vector<std::string>> rounds{
    {"user:bob"}, {"user:alice", "user:bob"}, {"user:carol"}, {"system:fees", "user:alice"},
    {"user:bob", "user:carol", "user:dave"}, {"user:alice"}, {"user:dave"}, {"user:carol", "system:fees"}};
  for (size_t round = 0; round < rounds.size(); ++round) {
    CAPTURE(round);
    ledger->append(expected.next_batch(rounds[round], 1 + round % 3));
    check_reads(*ledger, expected);
    auto merged = merged_entries(path);
    saw_merged = saw_merged || merged > 0;
    saw_tail_beside_merged = saw_tail_beside_merged || (merged > 0 && merged < logged_entries(path));
  }
  CHECK(saw_merged);
  CHECK(saw_tail_beside_merged);
  // And from a fresh open, which loads whatever tail the last merge left.
  ledger.reset();
  check_reads(*sqlite_journal::open(path.string(), merging_every(5)), expected);
}

TEST_CASE("a journal reopened with unmerged appends returns them all and keeps checking density") {
  // What a crash after some commits and before their merge leaves on disk.
  temp_directory directory;
  auto path = directory.path() / "journal.db";
  expected_journal expected;
  {
    auto ledger = sqlite_journal::open(path.string(), merging_every(8));
    ledger->append(expected.next_batch({"user:alice", "user:bob"}, 4));  // 8 entries: merged
    ledger->append(expected.next_batch({"user:alice"}, 2));
    ledger->append(expected.next_batch({"user:bob", "user:carol"}, 1));
  }
  REQUIRE(merged_entries(path) == 8);
  REQUIRE(logged_entries(path) == 12);

  auto ledger = sqlite_journal::open(path.string(), merging_every(never));
  check_reads(*ledger, expected);
  CHECK_THROWS_AS(ledger->append(samples::batch_of(samples::entries("user:alice", 8, 1))), journal_conflict);
  CHECK_THROWS_AS(ledger->append(samples::batch_of(samples::entries("user:alice", 6, 1))), journal_conflict);
  CHECK_THROWS_AS(ledger->append(samples::batch_of(samples::entries("user:bob", 4, 1))), journal_conflict);
  CHECK_THROWS_AS(ledger->append(samples::batch_of(samples::entries("user:carol", 1, 1))), journal_conflict);
  append_batch repeat;
  repeat.idempotency_records = {expected.records.back()};
  CHECK_THROWS_AS(ledger->append(repeat), journal_conflict);
  check_reads(*ledger, expected);

  ledger->append(expected.next_batch({"user:alice", "user:carol"}, 1));
  check_reads(*ledger, expected);
  ledger.reset();
  // A later open that merges picks up every unmerged row, the crashed ones included.
  ledger = sqlite_journal::open(path.string(), merging_every(1));
  ledger->append(expected.next_batch({"user:dave"}, 1));
  CHECK(merged_entries(path) == logged_entries(path));
  check_reads(*ledger, expected);
}

TEST_CASE("a duplicate seq or idempotency key is refused whether the first one is merged or not") {
  temp_directory directory;
  auto path = directory.path() / "journal.db";
  auto merged = samples::batch_of(samples::entries("user:alice", 1, 4));
  merged.idempotency_records = {samples::record("k-merged")};
  auto unmerged = samples::batch_of(samples::entries("user:alice", 5, 1));
  unmerged.idempotency_records = {samples::record("k-unmerged")};
  auto try_duplicates = [](journal& ledger) {
    CHECK_THROWS_AS(ledger.append(samples::batch_of(samples::entries("user:alice", 4, 1))), journal_conflict);
    CHECK_THROWS_AS(ledger.append(samples::batch_of(samples::entries("user:alice", 5, 1))), journal_conflict);
    CHECK_THROWS_AS(ledger.append(samples::batch_of(samples::entries("user:alice", 1, 6))), journal_conflict);
    for (std::string key : {"k-merged", "k-unmerged"}) {
      CAPTURE(key);
      auto repeat = samples::batch_of(samples::entries("user:bob", 1, 1));
      repeat.idempotency_records = {samples::record(key, "again")};
      CHECK_THROWS_AS(ledger.append(repeat), journal_conflict);
      CHECK(ledger.find_idempotency(key)->response != "again");
    }
    CHECK(conformance::all_entries(ledger, "user:alice") == samples::entries("user:alice", 1, 5));
    CHECK(ledger.last_seq("user:bob") == 0);
    CHECK(ledger.healthy());
  };
  {
    auto ledger = sqlite_journal::open(path.string(), merging_every(4));
    ledger->append(merged);
    ledger->append(unmerged);
    REQUIRE(merged_entries(path) == 4);
    try_duplicates(*ledger);
  }
  // Reopened, the journal knows no head yet: each check goes to the index or the loaded tail.
  try_duplicates(*sqlite_journal::open(path.string(), merging_every(4)));
}

TEST_CASE("a duplicate that slipped past the checks stops the journal at the merge") {
  temp_directory directory;
  auto path = directory.path() / "journal.db";
  auto first = samples::batch_of(samples::entries("user:alice", 1, 1));
  sqlite_journal::open(path.string(), merging_every(1))->append(first);
  // A second copy of alice's seq 1, appended behind the journal's back while it was closed.
  test::tamper(path, duplicate_every_entry);
  auto ledger = sqlite_journal::open(path.string(), merging_every(1));
  check_merge_stops_journal(*ledger, [&] { ledger->append(samples::batch_of(samples::entries("user:bob", 1, 1))); });
  CHECK(merged_entries(path) == 1);  // the merge rolled back whole
}

TEST_CASE("an append after another process wrote to the file stops rather than build on it") {
  temp_directory directory;
  auto path = directory.path() / "journal.db";
  auto first = sqlite_journal::open(path.string(), merging_every(never));
  first->append(samples::batch_of(samples::entries("user:alice", 1, 2)));
  auto second = sqlite_journal::open(path.string(), merging_every(never));
  second->append(samples::batch_of(samples::entries("user:alice", 3, 1)));
  // The first writer's heads and tail no longer describe the file.
  CHECK_THROWS_AS(first->append(samples::batch_of(samples::entries("user:bob", 1, 1))), journal_error);
  CHECK_FALSE(first->healthy());
  CHECK(second->last_seq("user:bob") == 0);
  CHECK(second->healthy());
}

TEST_CASE("a second journal on the file sees everything committed before it opened, merges or not") {
  // `ledgerflow check` beside a running node: it reads, the node appends and merges.
  temp_directory directory;
  auto path = directory.path() / "journal.db";
  auto node = sqlite_journal::open(path.string(), merging_every(3));
  for (uint64_t seq = 1; seq <= 4; ++seq)
    node->append(samples::batch_of(samples::entries("user:alice", seq, 1)));
  auto check = sqlite_journal::open(path.string(), merging_every(3));
  for (uint64_t seq = 5; seq <= 20; ++seq)
    node->append(samples::batch_of(samples::entries("user:alice", seq, 1)));
  auto seen = conformance::all_entries(*check, "user:alice");
  CHECK(seen.size() >= 4);
  CHECK(seen == samples::entries("user:alice", 1, seen.size()));  // a dense prefix
  CHECK(check->last_seq("user:alice") >= 4);
  auto scanned = conformance::scanned(*check);
  CHECK(scanned == samples::entries("user:alice", 1, scanned.size()));
  CHECK(conformance::all_entries(*sqlite_journal::open(path.string()), "user:alice")
        == samples::entries("user:alice", 1, 20));
}

TEST_CASE("opening an up-to-date journal takes no write lock, so a reader opens beside a writer") {
  temp_directory directory;
  auto path = directory.path() / "journal.db";
  sqlite_journal::open(path.string())->append(samples::batch_of(samples::entries("user:alice", 1, 3)));
  sqlite3* writer = nullptr;
  REQUIRE(sqlite3_open(path.string().c_str(), &writer) == SQLITE_OK);
  REQUIRE(sqlite3_exec(writer, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite_options options;
  options.busy_timeout_ms = 50;
  auto reader = sqlite_journal::open(path.string(), options);
  CHECK(conformance::all_entries(*reader, "user:alice") == samples::entries("user:alice", 1, 3));
  sqlite3_exec(writer, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(writer);
}

TEST_CASE("a version 1 file is migrated to the append-only layout, its index file rebuilt from the log") {
  temp_directory directory;
  auto path = directory.path() / "journal.db";
  auto alice = samples::entries("user:alice", 1, 3);
  {
    sqlite_connection connection(path.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    migrate_sqlite_schema(connection, 1);
    sqlite_statement insert(connection.get(),
                            "INSERT INTO entries VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
    for (const auto& entry : alice) {
      insert_entry_row(insert, entry);
    }
    connection.execute("INSERT INTO idempotency VALUES ('k1', 'ab12k1', '{\"ok\":true}', 1700000000000123)",
                       "insert a version 1 record");
  }
  REQUIRE(test::query_text(path, "PRAGMA user_version") == "1");
  auto ledger = sqlite_journal::open(path.string());
  CHECK(test::query_text(path, "PRAGMA user_version") == std::to_string(sqlite_schema_version()));
  CHECK(merged_entries(path) == 0);  // the new index file starts empty: every row is in the tail
  CHECK(conformance::all_entries(*ledger, "user:alice") == alice);
  REQUIRE(ledger->find_idempotency("k1"));
  CHECK(*ledger->find_idempotency("k1") == samples::record("k1"));
  CHECK_THROWS_AS(ledger->append(samples::batch_of(samples::entries("user:alice", 3, 1))), journal_conflict);
  ledger->append(samples::batch_of(samples::entries("user:alice", 4, 1)));
  CHECK(ledger->last_seq("user:alice") == 4);
}

namespace {

void race_readers_against_merges(const sqlite_options& options) {
  temp_directory directory;
  auto ledger = sqlite_journal::open((directory.path() / "journal.db").string(), options);
  const std::vector<std::string> accounts{"user:a", "user:b", "user:c"};
  constexpr size_t per_batch = 2;
  constexpr uint64_t batches = 300;
  std::atomic<uint64_t> committed{0};  // batches whose append has returned
  std::atomic<int> reads{0};
  ledgerflow::testing::failure_log fail;
  auto key_of = [](uint64_t batch) { return "k-" + std::to_string(batch); };

  std::thread writer([&] {
    try {
      for (uint64_t b = 0; b < batches; ++b) {
        append_batch batch;
        for (const auto& account : accounts)
          samples::add(batch.entries, samples::entries(account, b * per_batch + 1, per_batch));
        batch.idempotency_records = {samples::record(key_of(b))};
        ledger->append(batch);
        committed = b + 1;
        if (b == batches / 2)  // half way, let the readers in at least once
          while (reads == 0)
            std::this_thread::yield();
      }
    } catch (const std::exception& failure) {
      fail(std::string("append failed: ") + failure.what());
    }
    committed = batches + 1;  // also the signal to stop
  });
  auto reader = [&] {
    std::vector<uint64_t> last_seen(accounts.size(), 0);
    while (committed <= batches) {
      uint64_t done = committed;
      for (size_t a = 0; a < accounts.size(); ++a) {
        auto seen = conformance::all_entries(*ledger, accounts[a]);
        if (!conformance::is_whole_batch_prefix(seen, accounts[a], per_batch) || seen.size() < done * per_batch)
          fail("read_entries of " + accounts[a] + " gave " + std::to_string(seen.size()) + " entries after "
               + std::to_string(done) + " batches");
        auto head = ledger->last_seq(accounts[a]);
        if (head % per_batch != 0 || head < last_seen[a] || head < done * per_batch)
          fail("last_seq of " + accounts[a] + " went from " + std::to_string(last_seen[a]) + " to "
               + std::to_string(head));
        last_seen[a] = head;
      }
      if (done > 0 && !ledger->find_idempotency(key_of(done - 1)))
        fail("the record of committed batch " + std::to_string(done - 1) + " was not found");
      ++reads;
    }
  };
  std::thread scanner([&] {
    while (committed <= batches) {
      std::vector<std::vector<journal_entry>> by_account(accounts.size());
      for (const auto& entry : conformance::scanned(*ledger)) {
        auto a = static_cast<size_t>(std::find(accounts.begin(), accounts.end(), entry.account) - accounts.begin());
        if (a < accounts.size())
          by_account[a].push_back(entry);
      }
      for (size_t a = 0; a < accounts.size(); ++a)
        if (!conformance::is_whole_batch_prefix(by_account[a], accounts[a], per_batch))
          fail("scan_entries showed a gap or a repeat in " + accounts[a]);
      auto listed = ledger->accounts();
      if (!listed.empty() && listed != accounts)
        fail("accounts() listed " + std::to_string(listed.size()) + " accounts");
    }
  });
  std::thread first_reader(reader);
  std::thread second_reader(reader);
  writer.join();
  first_reader.join();
  second_reader.join();
  scanner.join();

  INFO(fail.first());
  CHECK(fail.count() == 0);
  CHECK(reads > 0);
  for (const auto& account : accounts)
    CHECK(conformance::all_entries(*ledger, account) == samples::entries(account, 1, batches * per_batch));
}

} // namespace

TEST_CASE("readers racing merges see dense whole-batch prefixes, never a gap or a repeat") {
  race_readers_against_merges(merging_every(7));
}

TEST_CASE("readers racing background merges in small chunks see dense whole-batch prefixes") {
  race_readers_against_merges(background_merging_every(7, 2));
}

TEST_CASE("a background merge indexes every row while appends go on, and reads stay the same") {
  temp_directory directory;
  auto path = directory.path() / "journal.db";
  auto ledger = sqlite_journal::open(path.string(), background_merging_every(5, 3));
  expected_journal expected;
  const std::vector<std::vector<std::string>> rounds{
    {"user:bob"}, {"user:alice", "user:bob"}, {"user:carol"}, {"system:fees", "user:alice"},
    {"user:bob", "user:carol", "user:dave"}, {"user:alice"}, {"user:dave"}, {"user:carol", "system:fees"}};
  for (size_t round = 0; round < rounds.size(); ++round) {
    CAPTURE(round);
    ledger->append(expected.next_batch(rounds[round], 1 + round % 3));
    check_reads(*ledger, expected);
  }
  ledger->finish_index_merge();
  check_reads(*ledger, expected);
  CHECK(merged_entries(path) > 0);
  // One more batch makes the rest due; once that merge is done, everything is indexed.
  ledger->append(expected.next_batch({"user:erin"}, 5));
  ledger->finish_index_merge();
  CHECK(merged_entries(path) == logged_entries(path));
  check_reads(*ledger, expected);
  ledger.reset();
  check_reads(*sqlite_journal::open(path.string(), background_merging_every(5, 3)), expected);
}

TEST_CASE("a merge cut short between its chunks is finished by the next one, and reads never repeat a row") {
  // What a crash after some chunks of a merge and before its last leaves: index rows beyond
  // journal_meta, which a reopened journal also holds in its tail.
  temp_directory directory;
  auto path = directory.path() / "journal.db";
  expected_journal expected;
  {
    auto ledger = sqlite_journal::open(path.string(), merging_every(never));
    ledger->append(expected.next_batch({"user:alice", "user:bob"}, 3));
    ledger->append(expected.next_batch({"user:alice", "user:carol"}, 2));
  }
  // The first chunks: alice's oldest two entries, indexed at their own positions, and one key
  // in a run not yet live.
  test::tamper(path, "INSERT INTO entry_index (account, seq, pos)"
                     " SELECT account, seq, pos FROM entries WHERE account = 'user:alice' AND seq <= 2");
  test::tamper(path, unfinished_key_run("pos = 1").c_str());
  REQUIRE(merged_entries(path) == 0);
  for (bool background : {false, true}) {
    CAPTURE(background);
    auto options = background ? background_merging_every(1, 2) : merging_every(never);
    auto ledger = sqlite_journal::open(path.string(), options);
    check_reads(*ledger, expected);
    if (background) {
      ledger->append(expected.next_batch({"user:bob"}, 1));
      ledger->finish_index_merge();
      CHECK(merged_entries(path) == logged_entries(path));
      CHECK(ledger->healthy());
      check_reads(*ledger, expected);
    }
  }
}

TEST_CASE("a background merge that finds a duplicate stops the journal at the next append") {
  temp_directory directory;
  auto path = directory.path() / "journal.db";
  sqlite_journal::open(path.string(), merging_every(1))->append(samples::batch_of(samples::entries("user:alice", 1, 1)));
  test::tamper(path, duplicate_every_entry);
  auto ledger = sqlite_journal::open(path.string(), background_merging_every(1, 1));
  ledger->append(samples::batch_of(samples::entries("user:bob", 1, 1)));  // hands the merge over
  check_merge_stops_journal(*ledger, [&] {
    ledger->finish_index_merge();
    ledger->append(samples::batch_of(samples::entries("user:bob", 2, 1)));
  });
  CHECK_THROWS_AS(ledger->append(samples::batch_of(samples::entries("user:bob", 2, 1))), journal_error);
  CHECK(merged_entries(path) == 1);  // journal_meta never moved
}

TEST_CASE("large batches go in many rows a statement and read back equal, amounts at the 128-bit extremes") {
  temp_directory directory;
  auto path = directory.path() / "journal.db";
  auto ledger = sqlite_journal::open(path.string(), merging_every(never));
  expected_journal expected;
  const std::vector<minor_units> extremes{
    0, -1, 9, 10, -10, static_cast<minor_units>(UINT64_MAX), static_cast<minor_units>(UINT64_MAX) + 1,
    -static_cast<minor_units>(UINT64_MAX), -static_cast<minor_units>(UINT64_MAX) - 1, INT64_MIN,
    samples::beyond_64_bits, -samples::beyond_64_bits, minor_units_max, minor_units_min};
  std::vector<std::string> accounts;
  for (size_t index = 0; index < 40; ++index)
    accounts.push_back("user:many-" + std::to_string(index));
  // 40 accounts x 3 entries and 40 records: several full statements and a remainder of single rows.
  for (size_t round = 0; round < 3; ++round) {
    auto batch = expected.next_batch(accounts, 3);
    for (size_t index = 0; index < batch.entries.size(); ++index) {
      auto& entry = batch.entries[index];
      entry.amount = extremes[index % extremes.size()];
      entry.available_after = extremes[(index + 5) % extremes.size()];
      entry.held_after = extremes[(index + 9) % extremes.size()];
      auto& kept = expected.entries[entry.account][entry.seq - 1];
      kept.amount = entry.amount;
      kept.available_after = entry.available_after;
      kept.held_after = entry.held_after;
    }
    ledger->append(batch);
    check_reads(*ledger, expected);
  }
  CHECK(logged_entries(path) == 3 * 40 * 3);
  ledger.reset();
  check_reads(*sqlite_journal::open(path.string(), merging_every(1)), expected);
}

TEST_CASE("a merge chunk that splits a batch newer than a reader's view does not tear that view") {
  // A chunk may index the first entries of a batch that committed after a reader copied its
  // tail: the reader shows whole batches as of its copy, never that batch's first half.
  temp_directory directory;
  auto path = directory.path() / "journal.db";
  auto node = sqlite_journal::open(path.string(), merging_every(never));
  node->append(samples::batch_of(samples::entries("user:alice", 1, 3)));
  auto check = sqlite_journal::open(path.string(), merging_every(never));  // its view: alice 1..3
  node->append(samples::batch_of(samples::entries("user:alice", 4, 3)));
  test::tamper(path, "INSERT INTO entry_index (account, seq, pos)"
                     " SELECT account, seq, pos FROM entries WHERE account = 'user:alice' AND seq <= 5");
  CHECK(conformance::all_entries(*check, "user:alice") == samples::entries("user:alice", 1, 3));
  CHECK(check->last_seq("user:alice") == 3);
  CHECK(conformance::scanned(*check) == samples::entries("user:alice", 1, 3));
  // The node's own view reaches its last batch, whole.
  CHECK(conformance::all_entries(*node, "user:alice") == samples::entries("user:alice", 1, 6));
  CHECK(node->last_seq("user:alice") == 6);
}

TEST_CASE("past the head cache a merge drops idle accounts' heads, and density is still checked from the index") {
  for (bool background : {false, true}) {
    CAPTURE(background);
    temp_directory directory;
    auto path = directory.path() / "journal.db";
    auto options = background ? background_merging_every(4, 3) : merging_every(4);
    options.head_cache_accounts_max = 3;
    auto ledger = sqlite_journal::open(path.string(), options);
    expected_journal expected;
    std::vector<std::string> accounts;
    for (size_t index = 0; index < 8; ++index)
      accounts.push_back("user:head-" + std::to_string(index));
    for (size_t round = 0; round < 6; ++round) {
      CAPTURE(round);
      // Each round a different few accounts, so most heads go idle and are dropped.
      std::vector<std::string> some{accounts[round % 8], accounts[(round + 3) % 8]};
      ledger->append(expected.next_batch(some, 2));
      ledger->finish_index_merge();
      for (const auto& account : accounts) {
        auto known = expected.entries.find(account);
        size_t stored = known == expected.entries.end() ? 0 : known->second.size();
        CHECK_THROWS_AS(ledger->append(samples::batch_of(samples::entries(account, stored, 1))), journal_conflict);
        CHECK_THROWS_AS(ledger->append(samples::batch_of(samples::entries(account, stored + 2, 1))),
                        journal_conflict);
      }
      check_reads(*ledger, expected);
    }
  }
}

namespace {

std::vector<std::string> numbered_accounts(const std::string& prefix, size_t count) {
  std::vector<std::string> accounts;
  for (size_t index = 0; index < count; ++index)
    accounts.push_back(prefix + std::to_string(index));
  return accounts;
}

// Index rows a merge writes per statement (sqlite_index_merger): the batches below hold several
// statements' worth of each kind and a remainder written a row at a time.
constexpr size_t rows_per_statement = 32;

} // namespace

TEST_CASE("rows a cut-short merge left indexed at their own positions are accepted amid many rows a statement") {
  auto accounts = numbered_accounts("user:wide-", 40);
  static_assert(40 > rows_per_statement, "each batch has more keys than one statement takes");
  for (bool background : {false, true}) {
    CAPTURE(background);
    temp_directory directory;
    auto path = directory.path() / "journal.db";
    expected_journal expected;
    {
      auto ledger = sqlite_journal::open(path.string(), merging_every(never));
      for (size_t round = 0; round < 3; ++round)
        ledger->append(expected.next_batch(accounts, 3));
    }
    // What chunks that committed before a crash leave: the first rows in index order, here
    // 112 entries (12 accounts' 9, and user:wide-2's first 4), where both ends fall inside a
    // statement, which then finds some of its rows there; and 43 keys (k-0 .. k-29 in text
    // order) in a run not yet live, deleted once the journal is open again.
    test::tamper(path, "INSERT INTO entry_index (account, seq, pos) SELECT account, seq, pos FROM entries"
                       " WHERE account < 'user:wide-2' OR (account = 'user:wide-2' AND seq <= 4)");
    test::tamper(path, unfinished_key_run("key < 'k-3'").c_str());
    REQUIRE(test::query_text(path, "SELECT count(*) FROM entry_index") == "112");
    REQUIRE(test::query_text(path, "SELECT count(*) FROM idempotency_index") == "43");
    REQUIRE(merged_entries(path) == 0);
    // Chunks of 100 rows: three full statements and four single rows each.
    auto options = background ? background_merging_every(1, 100) : merging_every(1);
    auto ledger = sqlite_journal::open(path.string(), options);
    check_reads(*ledger, expected);
    ledger->append(expected.next_batch(accounts, 1));
    ledger->finish_index_merge();
    CHECK(ledger->healthy());
    CHECK(merged_entries(path) == logged_entries(path));
    CHECK(test::query_text(path, "SELECT count(*) FROM entry_index i JOIN entries e"
                                 " ON e.pos = i.pos AND e.account = i.account AND e.seq = i.seq")
          == test::query_text(path, "SELECT count(*) FROM entries"));
    CHECK(test::query_text(path, "SELECT count(*) FROM idempotency_index i JOIN idempotency r"
                                 " ON r.pos = i.pos AND r.key = i.key")
          == test::query_text(path, "SELECT count(*) FROM idempotency"));
    check_reads(*ledger, expected);
    ledger.reset();
    check_reads(*sqlite_journal::open(path.string(), merging_every(never)), expected);
  }
}

TEST_CASE("a duplicate amid many rows a statement stops the journal at the merge, entry or key") {
  // A second copy of a row in the middle of the log, appended behind the journal's back.
  const char* copy_entry = "INSERT INTO entries (account, seq, kind, bucket, amount, available_after, held_after,"
                           " cause_kind, cause_id, counterparty_account, counterparty_bucket, hold_id, ts_us)"
                           " SELECT account, seq, kind, bucket, amount, available_after, held_after, cause_kind,"
                           " cause_id, counterparty_account, counterparty_bucket, hold_id, ts_us"
                           " FROM entries WHERE pos = 37";
  const char* copy_record = "INSERT INTO idempotency (key, request_hash, response, created_us)"
                            " SELECT key, request_hash, response, created_us FROM idempotency WHERE pos = 17";
  auto accounts = numbered_accounts("user:wide-", 40);
  for (const char* copy : {copy_entry, copy_record}) {
    CAPTURE(copy);
    temp_directory directory;
    auto path = directory.path() / "journal.db";
    expected_journal expected;
    sqlite_journal::open(path.string(), merging_every(never))->append(expected.next_batch(accounts, 2));
    test::tamper(path, copy);
    auto ledger = sqlite_journal::open(path.string(), merging_every(1));
    check_merge_stops_journal(*ledger,
                              [&] { ledger->append(samples::batch_of(samples::entries("user:newcomer", 1, 1))); });
    CHECK(merged_entries(path) == 0);  // the merge rolled back whole
  }
}

TEST_CASE("keys sharing long prefixes, or prefixes of one another, are all found after a merge") {
  // The merge orders keys by eight bytes past the prefix they all share, then by their text.
  temp_directory directory;
  auto path = directory.path() / "journal.db";
  std::vector<idempotency_record> records;
  std::string shared = "client-7f3a9c-2026-11-22T08:00:00Z-";
  for (const char* tail : {"", "a", "aaaaaaa", "aaaaaaaa", "aaaaaaaa1", "aaaaaaaa2", "aaaaaaab", "b",
                                  "\x7f", "\xc3\xa9t\xc3\xa9", "aaaaaaaa10", "aaaaaaaa0"})
    records.push_back(samples::record(shared + tail));
  for (size_t index = 0; index < 3 * rows_per_statement; ++index)
    records.push_back(samples::record(shared + "n" + std::to_string(index * 7919 % 1000)));
  auto ledger = sqlite_journal::open(path.string(), background_merging_every(1, 50));
  append_batch batch = samples::batch_of(samples::entries("user:alice", 1, 1));
  batch.idempotency_records = records;
  ledger->append(batch);
  ledger->append(samples::batch_of(samples::entries("user:alice", 2, 1)));
  ledger->finish_index_merge();
  REQUIRE(ledger->healthy());
  CHECK(test::query_text(path, "SELECT value FROM index_meta WHERE name = 'idempotency_index_merged_pos'")
        == std::to_string(records.size()));
  for (const auto& record : records) {
    CAPTURE(record.key);
    auto found = ledger->find_idempotency(record.key);
    REQUIRE(found);
    CHECK(*found == record);
  }
  CHECK_FALSE(ledger->find_idempotency(shared + "aaaaaaaa3"));
  CHECK_FALSE(ledger->find_idempotency(shared.substr(0, shared.size() - 1)));
}

// --- The index file (journal.db-index): derived data, rebuilt from the log when it is missing,
// not this log's, or reaches past the log's end.

namespace {

// A journal of `rounds` batches over a few accounts, merged every `merge_rows` rows.
void append_rounds(journal& ledger, expected_journal& expected, size_t rounds) {
  const std::vector<std::vector<std::string>> shapes{
    {"user:bob"}, {"user:alice", "user:bob"}, {"user:carol"}, {"system:fees", "user:alice"}};
  for (size_t round = 0; round < rounds; ++round)
    ledger.append(expected.next_batch(shapes[round % shapes.size()], 1 + round % 3));
}

void remove_index_file(const std::filesystem::path& path) {
  for (auto suffix : {"", "-wal", "-shm"})
    std::filesystem::remove(test::index_path(path).string() + suffix);
}

// Reads, duplicates refused (merged keys through the rebuilt filter too), and later merges
// reaching the whole log.
void check_rebuilt(const std::filesystem::path& path, expected_journal& expected) {
  auto options = merging_every(7);
  options.unmerged_rows_max = 7;  // the rebuild goes in merges of at most 7 rows a log
  auto ledger = sqlite_journal::open(path.string(), options);
  CHECK(merged_entries(path) == 0);
  check_reads(*ledger, expected);
  CHECK_THROWS_AS(ledger->append(samples::batch_of(samples::entries("user:alice", 1, 1))), journal_conflict);
  append_batch repeat;
  repeat.idempotency_records = {expected.records.front()};
  CHECK_THROWS_AS(ledger->append(repeat), journal_conflict);
  for (size_t round = 0; round < 20 && merged_entries(path) < logged_entries(path); ++round) {
    append_rounds(*ledger, expected, 1);
    check_reads(*ledger, expected);
  }
  CHECK(merged_entries(path) == logged_entries(path));
  CHECK_THROWS_AS(ledger->append(repeat), journal_conflict);
  ledger.reset();
  check_reads(*sqlite_journal::open(path.string(), merging_every(never)), expected);
}

} // namespace

// The merger's thread checkpoints the log. Its connection must have found the log's WAL for
// that (by reading the file once); until then a checkpoint did nothing, so the log was
// checkpointed only once a first merge had read rows through that connection.
TEST_CASE("the log is checkpointed into its file before any merge has run") {
  temp_directory directory;
  auto path = directory.path() / "journal.db";
  auto ledger = sqlite_journal::open(path.string(), checkpointing_every(4));
  auto file_size_at_open = std::filesystem::file_size(path);
  expected_journal expected;
  for (size_t round = 0; round < 8; ++round)
    ledger->append(expected.next_batch({"user:alice", "user:bob", "user:carol"}, 20));
  // The checkpoint runs on the merger's thread, some time after the append that asked for it.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::filesystem::file_size(path) <= file_size_at_open && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(std::filesystem::file_size(path) > file_size_at_open);
  CHECK(merged_entries(path) == 0);
  check_reads(*ledger, expected);
}

// Checkpoints on the merger's thread race the appends, so alone they seldom copy the last frames
// and the log seldom starts over: under steady appends it grew with everything appended. The
// writer finishes each one between two batches, after which the log restarts.
TEST_CASE("under steady appends the log keeps starting over instead of growing with every batch") {
  temp_directory directory;
  auto path = directory.path() / "journal.db";
  auto ledger = sqlite_journal::open(path.string(), checkpointing_every(16));
  expected_journal expected;
  std::vector<std::string> accounts;
  for (int index = 0; index < 20; ++index)
    accounts.push_back("user:steady" + std::to_string(index));
  for (size_t round = 0; round < 1'500; ++round)
    ledger->append(expected.next_batch(accounts, 1));
  auto wal_bytes = std::filesystem::file_size(path.string() + "-wal");
  auto log_bytes = std::filesystem::file_size(path);
  CAPTURE(wal_bytes);
  CAPTURE(log_bytes);
  // SQLite counts the WAL's restarts in its header; never restarted, the count stays 0.
  CHECK(wal_restarts(path.string() + "-wal") >= 2);
  // Its largest size, as the file keeps it. Never restarted, the WAL holds every frame ever
  // written: ~1.7 times the log here. Restarted, ~0.1 times, up to ~1.2 times when a loaded
  // machine (ctest -j2 beside the crash tests) starves the merger's thread for a while.
  CHECK(wal_bytes < log_bytes * 3 / 2);
  check_reads(*ledger, expected);
}

TEST_CASE("the indexes live in their own file, and the log file holds none") {
  temp_directory directory;
  auto path = directory.path() / "journal.db";
  expected_journal expected;
  append_rounds(*sqlite_journal::open(path.string(), merging_every(5)), expected, 6);
  REQUIRE(std::filesystem::exists(test::index_path(path)));
  CHECK(test::query_text(path, "SELECT count(*) FROM main.sqlite_schema WHERE name LIKE '%_index'") == "0");
  CHECK(test::query_text(path, "SELECT count(*) FROM main.journal_meta WHERE name LIKE '%merged_pos'") == "0");
  CHECK(merged_entries(path) > 0);
  CHECK(test::query_text(path, "SELECT count(*) FROM idx.entry_index") == std::to_string(merged_entries(path)));
}

TEST_CASE("an index file deleted between runs is rebuilt from the log, and every read stays right") {
  temp_directory directory;
  auto path = directory.path() / "journal.db";
  expected_journal expected;
  append_rounds(*sqlite_journal::open(path.string(), merging_every(5)), expected, 12);
  REQUIRE(merged_entries(path) > 0);
  remove_index_file(path);
  check_rebuilt(path, expected);
}

TEST_CASE("an index file reaching past the log's end (restored from a longer run) is rebuilt") {
  temp_directory directory;
  auto path = directory.path() / "journal.db";
  auto early = directory.path() / "early.db";
  expected_journal expected;
  {
    auto ledger = sqlite_journal::open(path.string(), merging_every(5));
    append_rounds(*ledger, expected, 4);
  }
  std::filesystem::copy_file(path, early);  // closed: the WAL is checkpointed into the file
  auto expected_early = expected;
  append_rounds(*sqlite_journal::open(path.string(), merging_every(5)), expected, 12);
  REQUIRE(merged_entries(path) > std::stoll(test::query_text(early, "SELECT max(pos) FROM main.entries")));
  // The early log beside the later index file: same log_id, but the index reaches past it.
  std::filesystem::remove(test::index_path(early));
  std::filesystem::copy_file(test::index_path(path), test::index_path(early));
  check_rebuilt(early, expected_early);
}

TEST_CASE("an index file of another log, another version or no database at all is rebuilt") {
  temp_directory directory;
  auto path = directory.path() / "journal.db";
  auto other = directory.path() / "other.db";
  expected_journal expected;
  append_rounds(*sqlite_journal::open(path.string(), merging_every(5)), expected, 8);
  SUBCASE("another log's") {
    expected_journal other_expected;
    append_rounds(*sqlite_journal::open(other.string(), merging_every(5)), other_expected, 3);
    remove_index_file(path);
    std::filesystem::copy_file(test::index_path(other), test::index_path(path));
  }
  SUBCASE("another version") {
    test::tamper(path, "PRAGMA idx.user_version = 99");
  }
  SUBCASE("a changed table") {
    test::tamper(path, "DROP TABLE idx.idempotency_index; CREATE TABLE idx.idempotency_index (key TEXT, pos INTEGER)");
  }
  SUBCASE("not a database") {
    remove_index_file(path);
    std::ofstream(test::index_path(path)) << std::string(8192, 'x');
  }
  check_rebuilt(path, expected);
}

TEST_CASE("a version 2 file (indexes inside the log file) is migrated, its index file rebuilt") {
  temp_directory directory;
  auto path = directory.path() / "journal.db";
  auto alice = samples::entries("user:alice", 1, 5);
  auto bob = samples::entries("user:bob", 1, 2);
  {
    sqlite_connection connection(path.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    connection.execute("PRAGMA journal_mode = WAL", "switch to WAL");
    migrate_sqlite_schema(connection, 2);  // the layout as release 2 left it
    sqlite_statement insert(connection.get(),
                            "INSERT INTO entries (account, seq, kind, bucket, amount, available_after, held_after,"
                            " cause_kind, cause_id, counterparty_account, counterparty_bucket, hold_id, ts_us)"
                            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
    std::vector<journal_entry> all = alice;
    samples::add(all, bob);
    for (const auto& entry : all) {
      insert_entry_row(insert, entry);
    }
    auto k1 = samples::record("k1");
    auto k2 = samples::record("k2");
    for (const auto& record : {k1, k2}) {
      sqlite_statement put(connection.get(),
                           "INSERT INTO idempotency (key, request_hash, response, created_us) VALUES (?1, ?2, ?3, ?4)");
      put.bind(1, record.key);
      put.bind(2, record.request_hash);
      put.bind(3, record.response);
      put.bind(4, record.created_us);
      put.run();
    }
    // Release 2 had merged alice's first 4 entries and k1 into the in-file indexes.
    connection.execute("INSERT INTO entry_index SELECT account, seq, pos FROM entries WHERE pos <= 4;"
                       "INSERT INTO idempotency_index SELECT key, pos FROM idempotency WHERE pos <= 1;"
                       "UPDATE journal_meta SET value = 4 WHERE name = 'entry_index_merged_pos';"
                       "UPDATE journal_meta SET value = 1 WHERE name = 'idempotency_index_merged_pos';",
                       "merge as release 2 did");
  }
  REQUIRE(test::query_text(path, "PRAGMA user_version") == "2");
  REQUIRE((!std::filesystem::exists(test::index_path(path)) || std::filesystem::file_size(test::index_path(path)) == 0));
  auto ledger = sqlite_journal::open(path.string(), merging_every(4));
  CHECK(test::query_text(path, "PRAGMA user_version") == std::to_string(sqlite_schema_version()));
  CHECK(test::query_text(path, "SELECT count(*) FROM main.sqlite_schema WHERE name LIKE '%_index'") == "0");
  CHECK(test::query_text(path, "SELECT count(*) FROM main.journal_meta WHERE name LIKE '%merged_pos'") == "0");
  CHECK(merged_entries(path) == 0);
  expected_journal expected;
  expected.entries["user:alice"] = alice;
  expected.entries["user:bob"] = bob;
  expected.records = {samples::record("k1"), samples::record("k2")};
  check_reads(*ledger, expected);
  CHECK_THROWS_AS(ledger->append(samples::batch_of(samples::entries("user:alice", 5, 1))), journal_conflict);
  ledger->append(expected.next_batch({"user:alice", "user:bob"}, 1));
  CHECK(merged_entries(path) == logged_entries(path));
  check_reads(*ledger, expected);
  ledger.reset();
  check_reads(*sqlite_journal::open(path.string(), merging_every(never)), expected);
}
