#include "persistence/sqlite/sqlite_handle.hpp"

#include <mutex>

namespace ledgerflow {

namespace {

// Process-wide, before SQLite initialises: without memory statistics its allocator takes no
// global mutex, which the journal's appending and merging threads would otherwise share on
// every row. Nothing here reads the statistics. Too late (SQLITE_MISUSE) when something else
// in the process opened a database first: then SQLite keeps counting, which is only slower.
void configure_sqlite_once() {
  static std::once_flag configured;
  std::call_once(configured, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

} // namespace

void throw_sqlite_error(sqlite3* db, int code, std::string_view what) {
  std::string message = "sqlite: " + std::string(what) + ": ";
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  message += " (code " + std::to_string(code) + ")";
  if ((code & 0xff) == SQLITE_CONSTRAINT)
    throw journal_conflict(message);
  throw journal_error(message);
}

sqlite_connection::sqlite_connection(const std::string& path, int flags, const char* vfs) {
  configure_sqlite_once();
  sqlite3* db = nullptr;
  int code = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, vfs);
  db_.reset(db);  // SQLite hands out a handle even on failure; it must be closed too
  if (code != SQLITE_OK)
    throw_sqlite_error(db, code, "open " + path);
  sqlite3_extended_result_codes(db, 1);
}

void sqlite_connection::execute(const char* sql, std::string_view what) {
  int code = sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr);
  if (code != SQLITE_OK)
    throw_sqlite_error(db_.get(), code, what);
}

void sqlite_connection::rollback() noexcept {
  if (sqlite3_get_autocommit(db_.get()) == 0)
    sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
}

std::string sqlite_multi_row_insert(std::string_view insert_into, size_t columns, size_t rows) {
  std::string sql(insert_into);
  sql += " VALUES ";
  for (size_t row = 0; row < rows; ++row) {
    sql += row == 0 ? "(" : ", (";
    for (size_t column = 0; column < columns; ++column)
      sql += column == 0 ? "?" : ", ?";
    sql += ")";
  }
  return sql;
}

sqlite_statement::sqlite_statement(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* statement = nullptr;
  int code = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                &statement, nullptr);
  statement_.reset(statement);
  if (code != SQLITE_OK)
    throw_sqlite_error(db, code, "prepare " + std::string(sql));
}

void sqlite_statement::bind(int index, std::string_view text) {
  // A null pointer would bind SQL NULL; an empty view must stay an empty string.
  const char* data = text.data() != nullptr ? text.data() : "";
  int code = sqlite3_bind_text(statement_.get(), index, data, static_cast<int>(text.size()), SQLITE_STATIC);
  if (code != SQLITE_OK)
    throw_sqlite_error(sqlite3_db_handle(statement_.get()), code, "bind");
}

void sqlite_statement::bind(int index, int64_t value) {
  int code = sqlite3_bind_int64(statement_.get(), index, value);
  if (code != SQLITE_OK)
    throw_sqlite_error(sqlite3_db_handle(statement_.get()), code, "bind");
}

bool sqlite_statement::step() {
  int code = sqlite3_step(statement_.get());
  if (code == SQLITE_ROW)
    return true;
  if (code == SQLITE_DONE)
    return false;
  throw_sqlite_error(sqlite3_db_handle(statement_.get()), code, sqlite3_sql(statement_.get()));
}

void sqlite_statement::run() {
  sqlite_statement_use use(*this);
  while (step()) {
  }
}

std::string_view sqlite_statement::column_text(int index) const {
  const auto* text = sqlite3_column_text(statement_.get(), index);
  if (text == nullptr)
    return {};
  return {reinterpret_cast<const char*>(text), static_cast<size_t>(sqlite3_column_bytes(statement_.get(), index))};
}

} // namespace ledgerflow
