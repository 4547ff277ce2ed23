// Thin RAII over the SQLite C API: a connection and a prepared statement, turning every
// failure into journal_error (journal_conflict for constraint violations) so the stores
// above never look at SQLite result codes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <sqlite3.h>

#include "persistence/journal.hpp"

namespace ledgerflow {

// Throws journal_conflict for constraint violations, journal_error for everything else.
[[noreturn]] void throw_sqlite_error(sqlite3* db, int code, std::string_view what);

class sqlite_connection {
public:
  // `flags` as for sqlite3_open_v2; NOMUTEX is added because each connection is only ever
  // used by one thread at a time (the stores guarantee it), so SQLite's own lock is waste.
  // `vfs` names a registered VFS (nullptr: the default one).
  sqlite_connection(const std::string& path, int flags, const char* vfs = nullptr);

  sqlite3* get() const { return db_.get(); }
  // Runs SQL that returns no rows we need (pragmas, DDL, migrations).
  void execute(const char* sql, std::string_view what);
  // Ends the open transaction, if any: after some errors (a full disk, an I/O error) SQLite
  // has already rolled back itself.
  void rollback() noexcept;

private:
  struct closer {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  std::unique_ptr<sqlite3, closer> db_;
};

// Rows a multi-row INSERT takes: the table cursor is opened and the statement ended once per
// this many rows; a remainder goes one row at a time.
inline constexpr size_t sqlite_rows_per_insert = 32;

// Rows the next INSERT takes of `remaining`: a whole multi-row statement, or one row.
inline size_t sqlite_rows_in_next_insert(size_t remaining) {
  return remaining >= sqlite_rows_per_insert ? sqlite_rows_per_insert : 1;
}

// "<insert_into> VALUES (?, ...), (?, ...), ...": `rows` rows of `columns` parameters each.
std::string sqlite_multi_row_insert(std::string_view insert_into, size_t columns, size_t rows);

// A statement prepared once (SQLITE_PREPARE_PERSISTENT) and reused. Text is bound with
// SQLITE_STATIC: the caller keeps it alive until the statement is reset.
class sqlite_statement {
public:
  sqlite_statement(sqlite3* db, std::string_view sql);

  void bind(int index, std::string_view text);
  void bind(int index, int64_t value);

  // True while a row is ready; false once the statement is done.
  bool step();
  // Steps a statement that returns no rows, then resets it.
  void run();
  // Ends the current use so the statement holds no lock; clears nothing, binds are rebound.
  void reset() { sqlite3_reset(statement_.get()); }

  int64_t column_int64(int index) const { return sqlite3_column_int64(statement_.get(), index); }
  bool column_is_null(int index) const { return sqlite3_column_type(statement_.get(), index) == SQLITE_NULL; }
  std::string_view column_text(int index) const;

private:
  struct finalizer {
    void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
  };
  std::unique_ptr<sqlite3_stmt, finalizer> statement_;
};

// Resets a statement however a use of it ends, so a thrown error leaves no open read.
class sqlite_statement_use {
public:
  explicit sqlite_statement_use(sqlite_statement& statement) : statement_(statement) {}
  ~sqlite_statement_use() { statement_.reset(); }
  sqlite_statement_use(const sqlite_statement_use&) = delete;
  sqlite_statement_use& operator=(const sqlite_statement_use&) = delete;

  sqlite_statement* operator->() { return &statement_; }

private:
  sqlite_statement& statement_;
};

} // namespace ledgerflow
