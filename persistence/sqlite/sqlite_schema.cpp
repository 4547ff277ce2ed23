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
// A snapshot row is replaced by a newer one: older ones can be rebuilt from the entries.
// Step 1 had no secondary indexes (every read by primary key); step 2 keeps entries and
// idempotency records in arrival order and indexes them apart, by a deferred merge.
constexpr std::array<const char*, 2> migration_steps{{
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
  // Step 2: append-only log with deferred indexes. Rows clustered by (account, seq) or by key
  // made every batch touch thousands of random B-tree pages, each a 4 KiB WAL write. Now a
  // batch appends rows at the end of `entries` and `idempotency` (pos = arrival order), and
  // the indexes are filled later by a sorted bulk merge. journal_meta records the highest pos
  // each index holds; rows above it are the unmerged tail, which the journal keeps in memory.
  // Existing rows are copied in key order and are all merged.
  R"sql(
ALTER TABLE entries RENAME TO entries_by_account;
CREATE TABLE entries (
  pos INTEGER PRIMARY KEY,
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
  ts_us INTEGER NOT NULL
) STRICT;
INSERT INTO entries (account, seq, kind, bucket, amount, available_after, held_after, cause_kind, cause_id,
                     counterparty_account, counterparty_bucket, hold_id, ts_us)
  SELECT account, seq, kind, bucket, amount, available_after, held_after, cause_kind, cause_id,
         counterparty_account, counterparty_bucket, hold_id, ts_us
  FROM entries_by_account ORDER BY account, seq;
DROP TABLE entries_by_account;
CREATE TABLE entry_index (
  account TEXT NOT NULL,
  seq INTEGER NOT NULL,
  pos INTEGER NOT NULL,
  PRIMARY KEY (account, seq)
) STRICT, WITHOUT ROWID;
INSERT INTO entry_index (account, seq, pos) SELECT account, seq, pos FROM entries ORDER BY account, seq;

ALTER TABLE idempotency RENAME TO idempotency_by_key;
CREATE TABLE idempotency (
  pos INTEGER PRIMARY KEY,
  key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  response TEXT NOT NULL,
  created_us INTEGER NOT NULL
) STRICT;
INSERT INTO idempotency (key, request_hash, response, created_us)
  SELECT key, request_hash, response, created_us FROM idempotency_by_key ORDER BY key;
DROP TABLE idempotency_by_key;
CREATE TABLE idempotency_index (
  key TEXT NOT NULL PRIMARY KEY,
  pos INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
INSERT INTO idempotency_index (key, pos) SELECT key, pos FROM idempotency ORDER BY key;

CREATE TABLE journal_meta (
  name TEXT NOT NULL PRIMARY KEY,
  value INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
INSERT INTO journal_meta (name, value) VALUES
  ('entry_index_merged_pos', (SELECT coalesce(max(pos), 0) FROM entries)),
  ('idempotency_index_merged_pos', (SELECT coalesce(max(pos), 0) FROM idempotency));
)sql",
}};

size_t stored_version(sqlite_connection& connection) {
  sqlite_statement query(connection.get(), "PRAGMA user_version");
  sqlite_statement_use use(query);
  return use->step() ? static_cast<size_t>(use->column_int64(0)) : 0;
}

void refuse_newer(size_t version) {
  if (version > migration_steps.size())
    throw journal_error("sqlite: the database has schema version " + std::to_string(version)
                        + " but this build knows only up to " + std::to_string(migration_steps.size())
                        + "; it was written by a newer ledgerflow");
}

void apply_missing_steps(sqlite_connection& connection, size_t target_version) {
  size_t version = stored_version(connection);
  refuse_newer(version);
  for (size_t step = version; step < target_version; ++step)
    connection.execute(migration_steps[step], "migration step " + std::to_string(step + 1));
  if (version < target_version) {
    auto set_version = "PRAGMA user_version = " + std::to_string(target_version);
    connection.execute(set_version.c_str(), "set the schema version");
  }
}

} // namespace

size_t sqlite_schema_version() {
  return migration_steps.size();
}

void migrate_sqlite_schema(sqlite_connection& connection) {
  migrate_sqlite_schema(connection, migration_steps.size());
}

void migrate_sqlite_schema(sqlite_connection& connection, size_t target_version) {
  if (target_version > migration_steps.size())
    throw journal_error("sqlite: no migration step " + std::to_string(target_version));
  // Checked first without a lock: an up-to-date file needs no write, so a read-only user
  // (`ledgerflow check`) opens beside a running writer without waiting for its lock.
  size_t version = stored_version(connection);
  refuse_newer(version);
  if (version >= target_version)
    return;
  // IMMEDIATE: two processes opening the same new file must not both run step 1.
  connection.execute("BEGIN IMMEDIATE", "begin the migration");
  try {
    apply_missing_steps(connection, target_version);
    connection.execute("COMMIT", "commit the migration");
  } catch (...) {
    sqlite3_exec(connection.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

} // namespace ledgerflow
