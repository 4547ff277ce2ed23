#include "persistence/sqlite/sqlite_saga_log.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>

namespace ledgerflow {

namespace {

saga_record saga_from_row(const sqlite_statement& row) {
  saga_record record;
  record.id = row.column_text(0);
  record.type = row.column_text(1);
  record.state = row.column_text(2);
  record.account = row.column_text(3);
  record.idempotency_key = row.column_text(4);
  record.request_hash = row.column_text(5);
  auto version = row.column_int64(6);
  if (version < 0)
    throw journal_error("sqlite: corrupt sagas.version of " + record.id + ": " + std::to_string(version));
  record.version = static_cast<uint64_t>(version);
  record.created_us = row.column_int64(7);
  record.updated_us = row.column_int64(8);
  record.document = row.column_text(9);
  return record;
}

// Without statistics SQLite may walk the state index for a state and an account, reading every
// saga in that state (most are completed); an account has few sagas, so its index goes first.
const char* sqlite_list_index(size_t shape) {
  return shape & 4 ? " INDEXED BY sagas_by_account" : "";
}

std::vector<saga_record> collect_sagas(sqlite_statement& query) {
  sqlite_statement_use use(query);
  std::vector<saga_record> records;
  while (use->step())
    records.push_back(saga_from_row(query));
  return records;
}

} // namespace

sqlite_saga_writer::sqlite_saga_writer(sqlite3* connection)
  : upsert_(connection,
            std::string("INSERT INTO sagas (") + saga_columns
              + ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
                // Only what changes: a saga's id comes from its key, so its type, account, key,
                // request hash and start time are fixed, and leaving them out of the SET spares
                // SQLite rewriting the indexes on account and creation at every step.
                " ON CONFLICT (id) DO UPDATE SET state = excluded.state, version = excluded.version,"
                " updated_us = excluded.updated_us, document = excluded.document"
                " WHERE excluded.version > sagas.version") {}

void sqlite_saga_writer::check(const std::vector<saga_record>& records) {
  newest_saga_records(records, newest_);
}

// Text is bound without a copy: the batch outlives each statement's run.
void sqlite_saga_writer::write() {
  for (const auto* record : newest_) {
    upsert_.bind(1, record->id);
    upsert_.bind(2, record->type);
    upsert_.bind(3, record->state);
    upsert_.bind(4, record->account);
    upsert_.bind(5, record->idempotency_key);
    upsert_.bind(6, record->request_hash);
    upsert_.bind(7, static_cast<int64_t>(record->version));
    upsert_.bind(8, record->created_us);
    upsert_.bind(9, record->updated_us);
    upsert_.bind(10, record->document);
    upsert_.run();
  }
  newest_.clear();
}

sqlite_saga_reader::sqlite_saga_reader(sqlite3* connection)
  : connection_(connection),
    find_(connection, std::string("SELECT ") + saga_columns + " FROM sagas WHERE id = ?1"),
    // INDEXED BY: the partial index holds only the sagas that still run, and SQLite refuses the
    // statement (at prepare) rather than scan every saga if it could not use it.
    unfinished_(connection, std::string("SELECT ") + saga_columns + " FROM sagas INDEXED BY sagas_unfinished WHERE "
                              + saga_unfinished_condition),
    counts_(connection, "SELECT type, state, count(*) FROM sagas GROUP BY type, state ORDER BY type, state"),
    ids_(connection, "SELECT id FROM sagas") {}

std::optional<saga_record> sqlite_saga_reader::find(const std::string& id) {
  sqlite_statement_use use(find_);
  use->bind(1, id);
  if (!use->step())
    return std::nullopt;
  return saga_from_row(find_);
}

std::vector<saga_record> sqlite_saga_reader::list(const saga_filter& filter) {
  if (filter.limit == 0)
    return {};
  auto shape = saga_filter_shape(filter);
  auto& query = list_statement(shape);
  int parameter = 0;
  for (const auto* value : {&filter.state, &filter.type, &filter.account})
    if (!value->empty())
      query.bind(++parameter, *value);
  query.bind(++parameter, static_cast<int64_t>(std::min<size_t>(filter.limit, std::numeric_limits<int64_t>::max())));
  return collect_sagas(query);
}

std::vector<saga_record> sqlite_saga_reader::unfinished() {
  return collect_sagas(unfinished_);
}

std::vector<saga_count> sqlite_saga_reader::counts() {
  sqlite_statement_use use(counts_);
  std::vector<saga_count> counts;
  while (use->step())
    counts.push_back({std::string(use->column_text(0)), std::string(use->column_text(1)),
                      static_cast<uint64_t>(use->column_int64(2))});
  return counts;
}

void sqlite_saga_reader::ids(const std::function<void(const std::string&)>& visit) {
  sqlite_statement_use use(ids_);
  while (use->step())
    visit(std::string(use->column_text(0)));
}

sqlite_statement& sqlite_saga_reader::list_statement(size_t shape) {
  auto& statement = list_[shape];
  if (!statement)
    statement = std::make_unique<sqlite_statement>(connection_, saga_list_sql(shape, '?', sqlite_list_index(shape)));
  return *statement;
}

} // namespace ledgerflow
