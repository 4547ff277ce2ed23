#include "persistence/sqlite/sqlite_index_merger.hpp"

#include <string>
#include <utility>

namespace ledgerflow {

namespace {

constexpr const char* entries_merged_name = "entry_index_merged_pos";
constexpr const char* idempotency_merged_name = "idempotency_index_merged_pos";

std::string describe(const sqlite_log_positions& positions) {
  return "entry " + std::to_string(positions.entries) + ", idempotency record "
         + std::to_string(positions.idempotency);
}

} // namespace

sqlite_index_merger::sqlite_index_merger(sqlite_connection& connection)
  : connection_(connection),
    begin_(connection.get(), "BEGIN IMMEDIATE"),
    commit_(connection.get(), "COMMIT"),
    read_merged_(connection.get(), "SELECT value FROM journal_meta WHERE name = ?1"),
    insert_entry_(connection.get(), "INSERT INTO entry_index (account, seq, pos) VALUES (?1, ?2, ?3)"),
    insert_key_(connection.get(), "INSERT INTO idempotency_index (key, pos) VALUES (?1, ?2)"),
    write_merged_(connection.get(), "UPDATE journal_meta SET value = ?2 WHERE name = ?1"),
    merged_keys_(connection.get(), "SELECT key FROM idempotency_index") {}

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

void sqlite_index_merger::merge(const sqlite_journal_tail& tail, const sqlite_log_positions& from,
                                const sqlite_log_positions& up_to) {
  begin_.run();
  try {
    // The file decides which rows are not indexed yet; a tail that disagrees is not merged.
    if (auto stored = merged(); stored != from)
      throw journal_error("journal_meta says the indexes reach " + describe(stored)
                          + ", but the unmerged tail starts after " + describe(from));
    insert_rows(tail);
    record_merged(up_to);
    commit_.run();
  } catch (const journal_error& failure) {
    rollback();
    throw journal_error(std::string("sqlite: index merge failed: ") + failure.what());
  }
}

std::unique_ptr<key_filter> sqlite_index_merger::filter_of_merged_keys(size_t capacity_keys) {
  auto filter = std::make_unique<key_filter>(capacity_keys);
  for (sqlite_statement_use use(merged_keys_); use->step();)
    filter->insert(use->column_text(0));
  return filter;
}

void sqlite_index_merger::insert_rows(const sqlite_journal_tail& tail) {
  tail.visit_in_index_order(
    [this](const std::string& account, const sqlite_journal_tail::entry_position& position) {
      insert_entry_.bind(1, account);
      insert_entry_.bind(2, static_cast<int64_t>(position.seq));
      insert_entry_.bind(3, position.pos);
      insert_entry_.run();
    },
    [this](const std::string& key, int64_t pos) {
      insert_key_.bind(1, key);
      insert_key_.bind(2, pos);
      insert_key_.run();
    });
}

void sqlite_index_merger::record_merged(const sqlite_log_positions& up_to) {
  for (auto [name, position] : {std::pair{entries_merged_name, up_to.entries},
                                std::pair{idempotency_merged_name, up_to.idempotency}}) {
    write_merged_.bind(1, name);
    write_merged_.bind(2, position);
    write_merged_.run();
  }
}

void sqlite_index_merger::rollback() noexcept {
  if (sqlite3_get_autocommit(connection_.get()) == 0)
    sqlite3_exec(connection_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
}

} // namespace ledgerflow
