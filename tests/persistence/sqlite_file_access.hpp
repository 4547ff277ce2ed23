// For SQLite journal tests: a fresh file per case, and raw SQL run on it behind the journal's
// back, as an operator, another process or a broken disk might. The SQL runs on the log file
// with the index file (entry_index, idempotency_index, index_meta) attached as `idx`, so the
// index tables are reachable by their plain names.
#pragma once

#include <filesystem>
#include <string>

#include <doctest/doctest.h>
#include <sqlite3.h>

#include "tests/support/temp_directory.hpp"

namespace ledgerflow::test {

using testing::temp_directory;

// How long SQL run behind the journal's back waits for its write lock, which a background
// index merge of a journal open on the file may hold for a moment.
inline constexpr int busy_timeout_ms = 5'000;

// The index file beside the journal file at `path`.
inline std::filesystem::path index_path(const std::filesystem::path& path) {
  return path.string() + "-index";
}

// The log at `path` with its index file attached as `idx` (created empty when missing, which
// the journal then rebuilds).
inline sqlite3* open_with_index(const std::filesystem::path& path) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.string().c_str(), &db) == SQLITE_OK);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  auto attach = "ATTACH DATABASE '" + index_path(path).string() + "' AS idx";
  REQUIRE(sqlite3_exec(db, attach.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  return db;
}

// The SQLite result code of running `sql` on its own connection.
inline int execute(const std::filesystem::path& path, const char* sql) {
  sqlite3* db = open_with_index(path);
  int code = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  sqlite3_close(db);
  return code;
}

inline void tamper(const std::filesystem::path& path, const char* sql) {
  REQUIRE(execute(path, sql) == SQLITE_OK);
}

// The first column of the first row, as text ("" when there is no row).
inline std::string query_text(const std::filesystem::path& path, const char* sql) {
  sqlite3* db = open_with_index(path);
  sqlite3_stmt* statement = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql, -1, &statement, nullptr) == SQLITE_OK);
  std::string result;
  if (sqlite3_step(statement) == SQLITE_ROW && sqlite3_column_text(statement, 0) != nullptr)
    result = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return result;
}

} // namespace ledgerflow::test
