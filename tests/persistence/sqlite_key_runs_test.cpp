// The SQLite journal's merged idempotency keys in sorted runs: merges add runs, full levels
// are compacted a slice at a time into the next, the replaced runs are deleted, and through
// all of it every key written is found with its record and no other key is.
#include "persistence/sqlite/sqlite_journal.hpp"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "tests/persistence/journal_samples.hpp"
#include "tests/persistence/sqlite_file_access.hpp"

using namespace ledgerflow;
using test::temp_directory;

namespace {

constexpr size_t fan_in = 3;

sqlite_options compacting(bool background, size_t slice_keys) {
  sqlite_options options;
  options.index_merge_rows = 1;  // every batch is merged: one run each
  options.index_merge_background = background;
  options.index_merge_chunk_rows = 4;
  options.key_run_fan_in = fan_in;
  options.key_run_slice_keys = slice_keys;
  options.synchronous = sqlite_synchronous::normal;  // durability is not what these cases test
  return options;
}

// Keys in a shuffled order, so the runs' key ranges overlap and a compaction interleaves them.
std::vector<std::string> shuffled_keys(size_t count, size_t first = 0) {
  std::vector<std::string> keys;
  for (size_t i = first; i < first + count; ++i)
    keys.push_back("key-" + std::to_string(i));
  std::shuffle(keys.begin(), keys.end(), std::mt19937(20261202));
  return keys;
}

// Each batch merged before the next is appended (a background merge would otherwise take
// several batches at once): one run a batch.
void write_in_batches(sqlite_journal& ledger, const std::vector<std::string>& keys, size_t per_batch) {
  for (size_t first = 0; first < keys.size(); first += per_batch) {
    append_batch batch;
    for (size_t i = first; i < std::min(keys.size(), first + per_batch); ++i)
      batch.idempotency_records.push_back(samples::record(keys[i]));
    ledger.append(batch);
    ledger.finish_index_merge();
  }
}

void check_found(journal& ledger, const std::vector<std::string>& keys) {
  size_t missing = 0;
  size_t wrong = 0;
  for (const auto& key : keys) {
    auto found = ledger.find_idempotency(key);
    missing += found ? 0 : 1;
    wrong += found && !(*found == samples::record(key)) ? 1 : 0;
  }
  CHECK(missing == 0);
  CHECK(wrong == 0);
  CHECK_FALSE(ledger.find_idempotency("key-absent"));
  CHECK_FALSE(ledger.find_idempotency("key-"));
}

size_t count_of(const std::filesystem::path& path, const std::string& sql) {
  return static_cast<size_t>(std::stoull(test::query_text(path, sql.c_str())));
}

} // namespace

TEST_CASE("keys merged run by run are compacted level by level, and each stays found with its record") {
  for (bool background : {false, true}) {
    for (size_t slice_keys : {size_t{2}, size_t{1000}}) {
      CAPTURE(background);
      CAPTURE(slice_keys);
      temp_directory directory;
      auto path = directory.path() / "journal.db";
      auto keys = shuffled_keys(5 * 40);
      {
        auto ledger = sqlite_journal::open(path.string(), compacting(background, slice_keys));
        write_in_batches(*ledger, keys, 5);  // 40 merges of 5 keys: 40 runs at level 0 before compaction
        ledger->finish_index_merge();
        REQUIRE(ledger->healthy());
        check_found(*ledger, keys);
      }
      // Compacted as a counter in base fan_in counts: 40 = 27 + 9 + 3 + 1, one live run at
      // each of the levels 0 to 3.
      CHECK(count_of(path, "SELECT count(*) FROM key_runs WHERE live = 1") == 4);
      CHECK(count_of(path, "SELECT count(DISTINCT level) FROM key_runs WHERE live = 1") == 4);
      CHECK(count_of(path, "SELECT max(level) FROM key_runs WHERE live = 1") == 3);
      // The replaced runs are gone, rows and all; the live ones hold each key once.
      CHECK(count_of(path, "SELECT count(*) FROM key_runs WHERE live = 0") == 0);
      CHECK(count_of(path, "SELECT count(*) FROM idempotency_index") == keys.size());
      CHECK(count_of(path, "SELECT sum(keys) FROM key_runs") == keys.size());
      auto reopened = sqlite_journal::open(path.string(), compacting(background, slice_keys));
      check_found(*reopened, keys);
    }
  }
}

TEST_CASE("a compaction cut short is redone: its unfinished run is deleted at open") {
  temp_directory directory;
  auto path = directory.path() / "journal.db";
  auto keys = shuffled_keys(5 * (fan_in - 1));
  {
    auto ledger = sqlite_journal::open(path.string(), compacting(false, 2));
    write_in_batches(*ledger, keys, 5);  // fan_in - 1 runs: no compaction yet
    ledger->finish_index_merge();
  }
  REQUIRE(count_of(path, "SELECT count(*) FROM key_runs WHERE live = 1") == fan_in - 1);
  // What a crash in a compaction leaves: the first slices of its target, not live.
  test::tamper(path, "INSERT INTO key_runs (run, level, keys, live) VALUES (100, 1, 0, 0);"
                     "INSERT INTO idempotency_index (run, key, pos)"
                     " SELECT 100, key, pos FROM idempotency_index WHERE run < 100 ORDER BY key LIMIT 3");
  auto more = shuffled_keys(5 * (fan_in + 1), 1000);
  std::vector<std::string> all = keys;
  {
    auto ledger = sqlite_journal::open(path.string(), compacting(true, 2));
    check_found(*ledger, keys);
    write_in_batches(*ledger, more, 5);
    ledger->finish_index_merge();
    REQUIRE(ledger->healthy());
    all.insert(all.end(), more.begin(), more.end());
    check_found(*ledger, all);
  }
  CHECK(count_of(path, "SELECT count(*) FROM key_runs WHERE run = 100") == 0);
  CHECK(count_of(path, "SELECT count(*) FROM idempotency_index") == all.size());
}

TEST_CASE("a key indexed in two runs stops the journal when they are compacted") {
  for (size_t slice_keys : {size_t{1}, size_t{1000}}) {
    CAPTURE(slice_keys);
    temp_directory directory;
    auto path = directory.path() / "journal.db";
    auto keys = shuffled_keys(5 * fan_in);
    {
      auto ledger = sqlite_journal::open(path.string(), compacting(false, slice_keys));
      write_in_batches(*ledger, std::vector<std::string>(keys.begin(), keys.begin() + 5 * (fan_in - 1)), 5);
      ledger->finish_index_merge();
    }
    // Behind the journal's back: the first run's smallest key copied into the second run.
    test::tamper(path, "INSERT INTO idempotency_index (run, key, pos)"
                       " SELECT (SELECT max(run) FROM key_runs), key, pos FROM idempotency_index"
                       " WHERE run = (SELECT min(run) FROM key_runs) ORDER BY key LIMIT 1");
    auto ledger = sqlite_journal::open(path.string(), compacting(false, slice_keys));
    // The last run makes the level full; its merge's compaction finds the key twice.
    CHECK_THROWS_AS(
      [&] {
        write_in_batches(*ledger, std::vector<std::string>(keys.begin() + 5 * (fan_in - 1), keys.end()), 5);
        ledger->finish_index_merge();
      }(),
      journal_error);
    CHECK_FALSE(ledger->healthy());
  }
}
