#include "persistence/sqlite/sqlite_schema.hpp"

#include <array>
#include <string>

namespace ledgerflow {

namespace {

// Append only: a step that has shipped is never edited, a change is a new step.
//
// Amounts are TEXT holding decimal minor units: 128 bits do not fit an SQLite INTEGER.
// Empty strings mean "none" (no counterparty, no hold), so a row reads back exactly.
// entries.kind is entry_kind's number (1 credit, 2 debit, 3 hold, 4 release, 5 post).
// There are no secondary indexes: every read is by primary key, and inserts are the hot path.
// A snapshot row is replaced by a newer one: older ones can be rebuilt from the entries.
constexpr std::array<const char*, 1> migration_steps{{
  R"sql(
CREATE TABLE entries (
  account TEXT NOT NULL,
  seq INTEGER NOT NULL,
  kind INTEGER NOT NULL,
  bucket TEXT NOT NULL,
  amount TEXT NOT NULL,
  available_after TEXT NOT NULL,
  held_after TEXT NOT NULL,
  cause_kind TEXT NOT NULL,
  cause_id TEXT NOT NULL,
  counterparty_account TEXT NOT NULL,
  counterparty_bucket TEXT NOT NULL,
  hold_id TEXT NOT NULL,
  ts_us INTEGER NOT NULL,
  PRIMARY KEY (account, seq)
) STRICT, WITHOUT ROWID;

CREATE TABLE idempotency (
  key TEXT NOT NULL PRIMARY KEY,
  request_hash TEXT NOT NULL,
  response TEXT NOT NULL,
  created_us INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE snapshots (
  account TEXT NOT NULL PRIMARY KEY,
  seq INTEGER NOT NULL,
  body TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE inflight_legs (
  transfer_id TEXT NOT NULL PRIMARY KEY,
  from_account TEXT NOT NULL,
  from_bucket TEXT NOT NULL,
  from_seq INTEGER NOT NULL,
  to_account TEXT NOT NULL,
  to_bucket TEXT NOT NULL,
  asset_code TEXT NOT NULL,
  amount TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  ts_us INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
)sql",
}};

size_t stored_version(sqlite_connection& connection) {
  sqlite_statement query(connection.get(), "PRAGMA user_version");
  sqlite_statement_use use(query);
  return use->step() ? static_cast<size_t>(use->column_int64(0)) : 0;
}

void apply_missing_steps(sqlite_connection& connection) {
  size_t version = stored_version(connection);
  if (version > migration_steps.size())
    throw journal_error("sqlite: the database has schema version " + std::to_string(version)
                        + " but this build knows only up to " + std::to_string(migration_steps.size())
                        + "; it was written by a newer ledgerflow");
  for (size_t step = version; step < migration_steps.size(); ++step)
    connection.execute(migration_steps[step], "migration step " + std::to_string(step + 1));
  if (version != migration_steps.size()) {
    auto set_version = "PRAGMA user_version = " + std::to_string(migration_steps.size());
    connection.execute(set_version.c_str(), "set the schema version");
  }
}

} // namespace

size_t sqlite_schema_version() {
  return migration_steps.size();
}

void migrate_sqlite_schema(sqlite_connection& connection) {
  // IMMEDIATE: two processes opening the same new file must not both run step 1.
  connection.execute("BEGIN IMMEDIATE", "begin the migration");
  try {
    apply_missing_steps(connection);
    connection.execute("COMMIT", "commit the migration");
  } catch (...) {
    sqlite3_exec(connection.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

} // namespace ledgerflow
