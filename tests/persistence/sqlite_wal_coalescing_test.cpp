// The WAL-coalescing VFS: a connection on it writes fewer, larger pieces to its log, and
// every byte still reaches the file before anything can read it, whether the reader is the
// same connection in the middle of a transaction, another connection after a commit, or a
// fresh process after the writer vanished without closing.
#include "persistence/sqlite/sqlite_wal_coalescing.hpp"

#include <filesystem>
#include <string>

#include <doctest/doctest.h>
#include <sqlite3.h>

#include "tests/support/temp_directory.hpp"

using namespace ledgerflow;
using testing::temp_directory;

namespace {

sqlite3* open_database(const std::filesystem::path& path, const char* vfs) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.string().c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs) == SQLITE_OK);
  return db;
}

void run(sqlite3* db, const std::string& sql) {
  char* message = nullptr;
  int code = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
  INFO(sql << ": " << std::string(message ? message : ""));
  sqlite3_free(message);
  REQUIRE(code == SQLITE_OK);
}

int64_t query_int(sqlite3* db, const char* sql) {
  sqlite3_stmt* statement = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql, -1, &statement, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(statement) == SQLITE_ROW);
  auto value = sqlite3_column_int64(statement, 0);
  sqlite3_finalize(statement);
  return value;
}

sqlite3* open_log_writer(const std::filesystem::path& path) {
  auto* db = open_database(path, sqlite_wal_coalescing_vfs());
  run(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = 0");
  run(db, "CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
  return db;
}

// `count` rows of ~1 KB each, in one transaction.
void insert_rows(sqlite3* db, int first, int count) {
  run(db, "BEGIN");
  for (int id = first; id < first + count; ++id)
    run(db, "INSERT INTO rows VALUES (" + std::to_string(id) + ", printf('%.1000c', 'x'))");
  run(db, "COMMIT");
}

} // namespace

TEST_CASE("a commit reaches the log in far fewer writes than SQLite makes") {
  temp_directory dir;
  auto* db = open_log_writer(dir.path() / "log.db");
  auto before = sqlite_wal_coalescing_counts();
  insert_rows(db, 0, 200);  // ~50 pages: ~100 frame writes
  auto after = sqlite_wal_coalescing_counts();
  auto received = after.received - before.received;
  auto issued = after.issued - before.issued;
  CHECK(received >= 100);
  CHECK(issued * 10 <= received);
  sqlite3_close(db);
}

TEST_CASE("another connection sees every committed row") {
  temp_directory dir;
  auto path = dir.path() / "log.db";
  auto* writer = open_log_writer(path);
  auto* reader = open_database(path, nullptr);
  for (int batch = 0; batch < 20; ++batch) {
    insert_rows(writer, batch * 50, 50);
    CHECK(query_int(reader, "SELECT count(*) FROM rows") == (batch + 1) * 50);
    CHECK(query_int(reader, "SELECT sum(length(body)) FROM rows") == (batch + 1) * 50 * 1000);
  }
  sqlite3_close(reader);
  sqlite3_close(writer);
}

TEST_CASE("a transaction larger than the page cache reads back what it spilled to the log") {
  temp_directory dir;
  auto* db = open_log_writer(dir.path() / "log.db");
  run(db, "PRAGMA cache_size = 10");  // pages: the transaction spills to the log as it goes
  run(db, "BEGIN");
  for (int id = 0; id < 2'000; ++id)
    run(db, "INSERT INTO rows VALUES (" + std::to_string(id) + ", printf('%.1000c', 'y'))");
  CHECK(query_int(db, "SELECT count(*) FROM rows WHERE body = printf('%.1000c', 'y')") == 2'000);
  run(db, "COMMIT");
  CHECK(query_int(db, "SELECT count(*) FROM rows") == 2'000);
  sqlite3_close(db);
}

TEST_CASE("checkpoints and log restarts keep every row") {
  temp_directory dir;
  auto path = dir.path() / "log.db";
  auto* db = open_log_writer(path);
  for (int round = 0; round < 5; ++round) {
    insert_rows(db, round * 100, 100);
    run(db, "PRAGMA wal_checkpoint(RESTART)");  // the next commit writes the log from its start
  }
  sqlite3_close(db);
  auto* fresh = open_database(path, nullptr);
  CHECK(query_int(fresh, "SELECT count(*) FROM rows") == 500);
  CHECK(query_int(fresh, "PRAGMA integrity_check = 1") == 0);  // "ok" reads as 0
  sqlite3_close(fresh);
}

TEST_CASE("what was committed survives a writer that never closes its connection") {
  temp_directory dir;
  auto path = dir.path() / "log.db";
  auto* db = open_log_writer(path);
  insert_rows(db, 0, 300);
  // A copy of the files as they are now is what a crash right after the commit leaves: the
  // connection is still open and its log still holds the rows.
  auto crashed = dir.path() / "crashed";
  std::filesystem::create_directories(crashed);
  for (auto suffix : {"", "-wal"})
    std::filesystem::copy_file(path.string() + suffix, (crashed / "log.db").string() + suffix);
  sqlite3_close(db);
  auto* recovered = open_database(crashed / "log.db", nullptr);
  CHECK(query_int(recovered, "SELECT count(*) FROM rows") == 300);
  sqlite3_close(recovered);
}
