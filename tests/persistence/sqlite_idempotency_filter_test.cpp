// The SQLite journal's filter over merged idempotency keys: a key that was written is always
// found (unmerged, merged, after a reopen, after the filter grew, while merges race reads),
// and a key never written is answered without a read of the index.
#include "persistence/sqlite/sqlite_journal.hpp"

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "tests/persistence/journal_samples.hpp"
#include "tests/persistence/sqlite_file_access.hpp"
#include "tests/support/failure_log.hpp"

using namespace ledgerflow;
using test::temp_directory;

namespace {

constexpr size_t never = 1'000'000'000;

sqlite_options filtering(size_t index_merge_rows, size_t filter_keys) {
  sqlite_options options;
  options.index_merge_rows = index_merge_rows;
  options.idempotency_filter_keys = filter_keys;
  options.synchronous = sqlite_synchronous::normal;  // durability is not what these cases test
  return options;
}

std::string written_key(size_t i) {
  return "written-" + std::to_string(i);
}

std::string absent_key(size_t i) {
  return "absent-" + std::to_string(i);
}

// Appends records for keys first .. first + count - 1, `per_batch` to a batch.
void write_keys(journal& ledger, size_t first, size_t count, size_t per_batch) {
  for (size_t key = first; key < first + count;) {
    append_batch batch;
    for (; key < first + count && batch.idempotency_records.size() < per_batch; ++key)
      batch.idempotency_records.push_back(samples::record(written_key(key)));
    ledger.append(batch);
  }
}

// Every key written so far is found with its record; keys never written are not.
void check_keys(journal& ledger, size_t written) {
  size_t missing = 0;
  size_t wrong = 0;
  for (size_t i = 0; i < written; ++i) {
    auto found = ledger.find_idempotency(written_key(i));
    missing += found ? 0 : 1;
    wrong += found && !(*found == samples::record(written_key(i))) ? 1 : 0;
  }
  CHECK(missing == 0);
  CHECK(wrong == 0);
  size_t phantom = 0;
  for (size_t i = 0; i < 200; ++i)
    phantom += ledger.find_idempotency(absent_key(i)) ? 1 : 0;
  CHECK(phantom == 0);
}

// Index rows for keys no record has, slipped in behind the journal's back: a lookup that finds
// one must have read the index, so how many are found shows how often the filter let it.
size_t planted_keys_found(sqlite_journal& ledger, const std::filesystem::path& path, size_t count) {
  ledger.finish_index_merge();  // its filter then holds every key written so far
  // Into the newest live run: the merges above have written at least one.
  std::string sql = "INSERT INTO idempotency_index (run, key, pos) VALUES ";
  for (size_t i = 0; i < count; ++i)
    sql += (i == 0 ? "((SELECT max(run) FROM key_runs WHERE live = 1), 'planted-"
                   : ", ((SELECT max(run) FROM key_runs WHERE live = 1), 'planted-")
           + std::to_string(i) + "', 1)";
  test::tamper(path, sql.c_str());
  size_t found = 0;
  for (size_t i = 0; i < count; ++i)
    found += ledger.find_idempotency("planted-" + std::to_string(i)) ? 1 : 0;
  return found;
}

} // namespace

TEST_CASE("a written key is found merged or unmerged, after the filter grew and after a reopen") {
  temp_directory directory;
  auto path = directory.path() / "journal.db";
  size_t written = 0;
  {
    // Sized for 4 keys, so the merges below rebuild it bigger again and again.
    auto ledger = sqlite_journal::open(path.string(), filtering(7, 4));
    for (size_t batch = 0; batch < 20; ++batch) {
      CAPTURE(batch);
      write_keys(*ledger, written, 3, 3);
      written += 3;
      check_keys(*ledger, written);
    }
    write_keys(*ledger, written, 500, 3);
    written += 500;
    check_keys(*ledger, written);
  }
  {
    // Opened small again: open() sizes the filter for what the index already holds.
    auto ledger = sqlite_journal::open(path.string(), filtering(never, 4));
    check_keys(*ledger, written);
    write_keys(*ledger, written, 50, 4);  // unmerged, answered by the tail
    written += 50;
    check_keys(*ledger, written);
  }
  // The unmerged keys are loaded into the tail at open, then merged with the next batch.
  auto ledger = sqlite_journal::open(path.string(), filtering(5, 1'000'000));
  check_keys(*ledger, written);
  write_keys(*ledger, written, 10, 2);
  written += 10;
  check_keys(*ledger, written);
}

TEST_CASE("a lookup of a never-written key does not read the index, even after the filter grew") {
  temp_directory directory;
  auto path = directory.path() / "journal.db";
  auto ledger = sqlite_journal::open(path.string(), filtering(10, 16));
  write_keys(*ledger, 0, 2'000, 5);  // grows 16 -> 2,048; every key but the last batch merged
  REQUIRE(ledger->find_idempotency(written_key(0)));
  // An over-full filter (had it not grown) would let nearly all 200 through; ~1% get by a
  // filter at its design load.
  CHECK(planted_keys_found(*ledger, path, 200) < 20);
  CHECK(ledger->find_idempotency(written_key(1'999)));

  // A journal opened on the file builds its filter from the index as it finds it.
  auto reopened = sqlite_journal::open(path.string(), filtering(never, 16));
  size_t found = 0;
  for (size_t i = 0; i < 200; ++i)
    found += reopened->find_idempotency("planted-" + std::to_string(i)) ? 1 : 0;
  CHECK(found == 200);
}

TEST_CASE("with the filter off every lookup reads the index and finds the same keys") {
  temp_directory directory;
  auto path = directory.path() / "journal.db";
  auto ledger = sqlite_journal::open(path.string(), filtering(7, 0));
  write_keys(*ledger, 0, 100, 3);
  check_keys(*ledger, 100);
  CHECK(planted_keys_found(*ledger, path, 50) == 50);
}

TEST_CASE("a filter first size above its maximum is refused at open") {
  temp_directory directory;
  auto options = filtering(7, 1'000);
  options.idempotency_filter_keys_max = 999;
  CHECK_THROWS_AS(sqlite_journal::open((directory.path() / "journal.db").string(), options), journal_error);
}

TEST_CASE("a filter at its maximum only fills up: written keys are still found") {
  temp_directory directory;
  auto options = filtering(5, 8);
  options.idempotency_filter_keys_max = 16;
  auto ledger = sqlite_journal::open((directory.path() / "journal.db").string(), options);
  write_keys(*ledger, 0, 300, 3);
  check_keys(*ledger, 300);
}

TEST_CASE("readers racing merges and filter rebuilds never miss an acknowledged key") {
  temp_directory directory;
  // A key per batch and a merge every 3: an acknowledged key sits in the tail for up to two
  // more appends, then moves to the index while readers look for it. The filter starts at 8
  // keys, so it is also rebuilt ~10 times along the way.
  auto ledger = sqlite_journal::open((directory.path() / "journal.db").string(), filtering(3, 8));
  constexpr size_t per_batch = 1;
  constexpr size_t batches = 5'000;
  std::atomic<size_t> acknowledged{0};  // keys whose append has returned
  std::atomic<bool> writing{true};
  std::atomic<size_t> lookups{0};
  ledgerflow::testing::failure_log fail;

  std::thread writer([&] {
    try {
      for (size_t b = 0; b < batches; ++b) {
        write_keys(*ledger, b * per_batch, per_batch, per_batch);
        acknowledged.store((b + 1) * per_batch, std::memory_order_release);
      }
    } catch (const std::exception& failure) {
      fail(std::string("append failed: ") + failure.what());
    }
    writing = false;
  });
  auto reader = [&](uint64_t seed) {
    uint64_t random = seed;
    while (writing) {
      size_t known = acknowledged.load(std::memory_order_acquire);
      if (known == 0)
        continue;
      random = random * 6'364'136'223'846'793'005u + 1'442'695'040'888'963'407u;
      // The newest keys are the ones a merge is moving from the tail to the filter.
      for (size_t key : {known - 1, known - std::min<size_t>(known, 2), known - std::min<size_t>(known, 3),
                         static_cast<size_t>((random >> 33) % known)})
        if (!ledger->find_idempotency(written_key(key)))
          fail("acknowledged key " + written_key(key) + " not found with " + std::to_string(known)
               + " acknowledged");
      if (ledger->find_idempotency(absent_key(random % 1'000)))
        fail("never-written key " + absent_key(random % 1'000) + " found");
      ++lookups;
    }
  };
  std::thread first_reader(reader, 1);
  std::thread second_reader(reader, 2);
  writer.join();
  first_reader.join();
  second_reader.join();

  INFO(fail.first());
  CHECK(fail.count() == 0);
  CHECK(lookups > 0);
  check_keys(*ledger, batches * per_batch);
}
