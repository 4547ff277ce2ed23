// The SQLite journal: the shared conformance suite on a fresh file per case, plus what only
// SQLite has (the file, WAL, schema migrations, corrupt rows).
#include "persistence/sqlite/sqlite_journal.hpp"

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <doctest/doctest.h>
#include <sqlite3.h>

#include "persistence/sqlite/sqlite_schema.hpp"
#include "tests/persistence/journal_conformance.hpp"
#include "tests/persistence/sqlite_file_access.hpp"

namespace ledgerflow::test {

struct sqlite_store {
  temp_directory directory;
  std::unique_ptr<journal> open() { return sqlite_journal::open((directory.path() / "journal.db").string()); }
};

// The same suite with an index merge every few entries, so each case reads and checks across
// merged and unmerged rows rather than from the unmerged tail alone: merged in the background
// (the default) in chunks of two rows, so reads also land between a merge's chunks...
struct sqlite_store_merging_often {
  temp_directory directory;
  std::unique_ptr<journal> open() {
    sqlite_options options;
    options.index_merge_rows = 3;
    options.index_merge_chunk_rows = 2;
    return sqlite_journal::open((directory.path() / "journal.db").string(), options);
  }
};

// ... and merged on the appending thread, right after the append that makes a merge due.
struct sqlite_store_merging_inline {
  temp_directory directory;
  std::unique_ptr<journal> open() {
    sqlite_options options;
    options.index_merge_rows = 3;
    options.index_merge_background = false;
    return sqlite_journal::open((directory.path() / "journal.db").string(), options);
  }
};

} // namespace ledgerflow::test

TYPE_TO_STRING(ledgerflow::test::sqlite_store);
TYPE_TO_STRING(ledgerflow::test::sqlite_store_merging_often);
TYPE_TO_STRING(ledgerflow::test::sqlite_store_merging_inline);
LEDGERFLOW_JOURNAL_CONFORMANCE(ledgerflow::test::sqlite_store);
LEDGERFLOW_JOURNAL_CONFORMANCE(ledgerflow::test::sqlite_store_merging_often);
LEDGERFLOW_JOURNAL_CONFORMANCE(ledgerflow::test::sqlite_store_merging_inline);

using namespace ledgerflow;
using test::temp_directory;

TEST_CASE("the sqlite journal creates a missing parent directory and runs in WAL mode") {
  temp_directory directory;
  auto path = directory.path() / "data" / "node-1" / "journal.db";
  auto ledger = sqlite_journal::open(path.string());
  CHECK(ledger->healthy());
  CHECK(ledger->path() == path.string());
  CHECK(std::filesystem::exists(path));
  CHECK(test::query_text(path, "PRAGMA journal_mode") == "wal");
  CHECK(test::query_text(path, "PRAGMA user_version") == std::to_string(sqlite_schema_version()));
}

TEST_CASE("opening a journal where no file can be created fails with a message naming the path") {
  temp_directory directory;
  auto blocker = directory.path() / "not-a-directory";
  std::ofstream(blocker) << "x";
  auto path = (blocker / "journal.db").string();
  try {
    sqlite_journal::open(path);
    FAIL("open should have thrown");
  } catch (const journal_error& failure) {
    CHECK(std::string(failure.what()).find(path) != std::string::npos);
  }
  // A directory where the file should be: the directory exists, the open itself fails.
  auto taken = directory.path() / "taken.db";
  std::filesystem::create_directory(taken);
  CHECK_THROWS_AS(sqlite_journal::open(taken.string()), journal_error);
}

TEST_CASE("a journal written by a newer schema is refused rather than guessed at") {
  temp_directory directory;
  auto path = directory.path() / "journal.db";
  sqlite_journal::open(path.string());
  test::tamper(path, ("PRAGMA user_version = " + std::to_string(sqlite_schema_version() + 1)).c_str());
  try {
    sqlite_journal::open(path.string());
    FAIL("open should have thrown");
  } catch (const journal_error& failure) {
    CHECK(std::string(failure.what()).find("newer") != std::string::npos);
  }
}

TEST_CASE("reopening with the current schema keeps the data and reruns no migration") {
  temp_directory directory;
  auto path = directory.path() / "journal.db";
  sqlite_journal::open(path.string())->append(samples::batch_of(samples::entries("user:alice", 1, 2)));
  auto ledger = sqlite_journal::open(path.string());
  CHECK(ledger->last_seq("user:alice") == 2);
  CHECK(test::query_text(path, "PRAGMA user_version") == std::to_string(sqlite_schema_version()));
}

TEST_CASE("a corrupt amount on disk is a journal_error, not a wrong balance") {
  temp_directory directory;
  auto path = directory.path() / "journal.db";
  auto ledger = sqlite_journal::open(path.string());
  ledger->append(samples::batch_of(samples::entries("user:alice", 1, 2)));
  test::tamper(path, "UPDATE entries SET available_after = '12x' WHERE seq = 2");
  CHECK_THROWS_AS(ledger->read_entries("user:alice", 0, 10), journal_error);
  CHECK(ledger->read_entries("user:alice", 0, 1).size() == 1);  // the good row still reads
  test::tamper(path, "UPDATE entries SET available_after = '1', kind = 9 WHERE seq = 2");
  CHECK_THROWS_AS(ledger->read_entries("user:alice", 0, 10), journal_error);
}

TEST_CASE("a corrupt snapshot body is a journal_error") {
  temp_directory directory;
  auto path = directory.path() / "journal.db";
  auto ledger = sqlite_journal::open(path.string());
  append_batch batch;
  batch.snapshots = {samples::snapshot("user:alice", 3)};
  ledger->append(batch);
  test::tamper(path, "UPDATE snapshots SET body = '{\"account\":\"user:alice\"'");
  CHECK_THROWS_AS(ledger->latest_snapshot("user:alice"), journal_error);
}

TEST_CASE("the merged indexes refuse a duplicate even when it bypasses the batch checks") {
  // The primary keys are the last line: rows inserted behind the writer's back still block.
  temp_directory directory;
  auto path = directory.path() / "journal.db";
  sqlite_options options;
  options.index_merge_rows = 1;  // every batch is merged at once
  auto ledger = sqlite_journal::open(path.string(), options);
  auto batch = samples::batch_of(samples::entries("user:alice", 1, 1));
  batch.idempotency_records = {samples::record("k1")};
  ledger->append(batch);
  ledger->finish_index_merge();
  CHECK(test::execute(path, "INSERT INTO entry_index SELECT * FROM entry_index") == SQLITE_CONSTRAINT);
  CHECK(test::execute(path, "INSERT INTO idempotency_index SELECT * FROM idempotency_index") == SQLITE_CONSTRAINT);
}

TEST_CASE("sqlite synchronous modes have names for the config file") {
  sqlite_synchronous mode = sqlite_synchronous::off;
  REQUIRE(sqlite_synchronous_from_string("full", mode));
  CHECK(mode == sqlite_synchronous::full);
  CHECK(to_string(sqlite_synchronous::normal) == "normal");
  CHECK_FALSE(sqlite_synchronous_from_string("FULL", mode));
  CHECK(sqlite_options{}.synchronous == sqlite_synchronous::full);
}

TEST_CASE("a journal opened with synchronous off still journals in WAL and reads back") {
  temp_directory directory;
  sqlite_options options;
  options.synchronous = sqlite_synchronous::off;
  options.read_connections_max = 1;
  auto ledger = sqlite_journal::open((directory.path() / "journal.db").string(), options);
  ledger->append(samples::batch_of(samples::entries("user:alice", 1, 3)));
  // With one read connection, a scan whose visitor reads again must not deadlock.
  size_t visits = 0;
  ledger->scan_entries([&](const journal_entry& entry) {
    visits += ledger->read_entries(entry.account, entry.seq - 1, 1).size();
    return true;
  });
  CHECK(visits == 3);
}
