#include "persistence/sqlite/sqlite_index_merger.hpp"

#include <string>
#include <tuple>
#include <utility>

namespace ledgerflow {

namespace {

constexpr const char* entries_merged_name = "entry_index_merged_pos";
constexpr const char* idempotency_merged_name = "idempotency_index_merged_pos";

} // namespace

sqlite_index_merger::sqlite_index_merger(sqlite_connection& connection)
  : connection_(connection),
    begin_(connection.get(), "BEGIN IMMEDIATE"),
    commit_(connection.get(), "COMMIT"),
    read_merged_(connection.get(), "SELECT value FROM journal_meta WHERE name = ?1"),
    // ORDER BY the index key: SQLite then appends to each index page in turn, rather than
    // visiting pages in log order (random accounts, random keys).
    merge_entries_(connection.get(),
                   "INSERT INTO entry_index (account, seq, pos) SELECT account, seq, pos FROM entries"
                   " WHERE pos > ?1 AND pos <= ?2 ORDER BY account, seq"),
    merge_keys_(connection.get(),
                "INSERT INTO idempotency_index (key, pos) SELECT key, pos FROM idempotency"
                " WHERE pos > ?1 AND pos <= ?2 ORDER BY key"),
    write_merged_(connection.get(), "UPDATE journal_meta SET value = ?2 WHERE name = ?1") {}

sqlite_log_positions sqlite_index_merger::merged() {
  sqlite_log_positions positions;
  for (auto [name, position] : {std::pair{entries_merged_name, &positions.entries},
                                std::pair{idempotency_merged_name, &positions.idempotency}}) {
    sqlite_statement_use use(read_merged_);
    use->bind(1, name);
    if (!use->step())
      throw journal_error(std::string("sqlite: corrupt journal_meta: no row ") + name);
    *position = use->column_int64(0);
  }
  return positions;
}

void sqlite_index_merger::merge(const sqlite_log_positions& up_to) {
  begin_.run();
  try {
    // Read inside the transaction: it is the file, not this process's memory, that decides
    // which rows are not indexed yet.
    merge_rows(merged(), up_to);
    commit_.run();
  } catch (const journal_error& failure) {
    rollback();
    throw journal_error(std::string("sqlite: index merge failed: ") + failure.what());
  }
}

void sqlite_index_merger::merge_rows(const sqlite_log_positions& from, const sqlite_log_positions& up_to) {
  if (from.entries > up_to.entries || from.idempotency > up_to.idempotency)
    throw journal_error("journal_meta says the indexes reach past the end of the log");
  for (auto [statement, low, high, name] :
       {std::tuple{&merge_entries_, from.entries, up_to.entries, entries_merged_name},
        std::tuple{&merge_keys_, from.idempotency, up_to.idempotency, idempotency_merged_name}}) {
    if (low == high)
      continue;
    statement->bind(1, low);
    statement->bind(2, high);
    statement->run();
    write_merged_.bind(1, name);
    write_merged_.bind(2, high);
    write_merged_.run();
  }
}

void sqlite_index_merger::rollback() noexcept {
  if (sqlite3_get_autocommit(connection_.get()) == 0)
    sqlite3_exec(connection_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
}

} // namespace ledgerflow
