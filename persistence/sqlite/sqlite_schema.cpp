#include "persistence/sqlite/sqlite_schema.hpp"

#include <array>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

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
constexpr std::array<const char*, 4> migration_steps{{
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
  // Step 3: the indexes move to a file of their own (sqlite_index_path), written only by the
  // merger, so appends and merges no longer share SQLite's write lock. The file is derived
  // data: it is rebuilt from the log when missing or not this log's. log_id names this log
  // (the index file records the id it was built from); the in-file indexes and their merged
  // positions go, and the new index file is filled from position 0 by the merges.
  R"sql(
DROP TABLE entry_index;
DROP TABLE idempotency_index;
DELETE FROM journal_meta WHERE name IN ('entry_index_merged_pos', 'idempotency_index_merged_pos');
INSERT INTO journal_meta (name, value) VALUES ('log_id', random());
)sql",
  // Step 4: the saga log, one row per saga (its newest record, replaced by a higher version).
  // A rowid table: the documents are kilobytes, which a WITHOUT ROWID B-tree handles badly.
  // The indexes serve list_sagas (each filter, newest first) and, partial, unfinished_sagas:
  // its WHERE is saga_log_sql.hpp's saga_unfinished_condition, word for word.
  R"sql(
CREATE TABLE sagas (
  id TEXT NOT NULL PRIMARY KEY,
  type TEXT NOT NULL,
  state TEXT NOT NULL,
  account TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  version INTEGER NOT NULL,
  created_us INTEGER NOT NULL,
  updated_us INTEGER NOT NULL,
  document TEXT NOT NULL
) STRICT;
CREATE INDEX sagas_by_created ON sagas (created_us DESC, id);
CREATE INDEX sagas_by_state ON sagas (state, created_us DESC, id);
CREATE INDEX sagas_by_account ON sagas (account, created_us DESC, id);
CREATE INDEX sagas_unfinished ON sagas (id) WHERE state <> 'completed' AND state <> 'compensated' AND state <> 'failed';
)sql",
}};

// The index file's own schema (sqlite_index_path). Not migrated: a file that is not exactly
// this, at index_schema_version, is emptied and rebuilt from the log.
// Version 2: idempotency keys in sorted runs (sqlite_key_runs.hpp) instead of one B-tree.
constexpr int64_t index_schema_version = 2;
constexpr std::array<std::pair<const char*, const char*>, 4> index_tables{{
  {"entry_index", "CREATE TABLE entry_index (\n"
                  "  account TEXT NOT NULL,\n"
                  "  seq INTEGER NOT NULL,\n"
                  "  pos INTEGER NOT NULL,\n"
                  "  PRIMARY KEY (account, seq)\n"
                  ") STRICT, WITHOUT ROWID"},
  {"idempotency_index", "CREATE TABLE idempotency_index (\n"
                        "  run INTEGER NOT NULL,\n"
                        "  key TEXT NOT NULL,\n"
                        "  pos INTEGER NOT NULL,\n"
                        "  PRIMARY KEY (run, key)\n"
                        ") STRICT, WITHOUT ROWID"},
  {"index_meta", "CREATE TABLE index_meta (\n"
                 "  name TEXT NOT NULL PRIMARY KEY,\n"
                 "  value INTEGER NOT NULL\n"
                 ") STRICT, WITHOUT ROWID"},
  {"key_runs", "CREATE TABLE key_runs (\n"
               "  run INTEGER PRIMARY KEY,\n"
               "  level INTEGER NOT NULL,\n"
               "  keys INTEGER NOT NULL,\n"
               "  live INTEGER NOT NULL\n"
               ") STRICT"},
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
    connection.rollback();
    throw;
  }
}

std::string sqlite_index_path(const std::string& log_path) {
  return log_path + "-index";
}

int64_t read_log_id(sqlite_connection& log) {
  sqlite_statement query(log.get(), "SELECT value FROM journal_meta WHERE name = 'log_id'");
  sqlite_statement_use use(query);
  if (!use->step())
    throw journal_error("sqlite: corrupt journal_meta: no row log_id");
  return use->column_int64(0);
}

sqlite_log_positions read_log_ends(sqlite_connection& log) {
  sqlite_statement query(log.get(), "SELECT (SELECT coalesce(max(pos), 0) FROM entries),"
                                    " (SELECT coalesce(max(pos), 0) FROM idempotency)");
  sqlite_statement_use use(query);
  use->step();
  return {use->column_int64(0), use->column_int64(1)};
}

sqlite_log_positions read_merged_positions(sqlite_connection& index) {
  sqlite_statement read(index.get(), "SELECT value FROM index_meta WHERE name = ?1");
  sqlite_log_positions positions;
  for (auto [name, position] : {std::pair{sqlite_entries_merged_name, &positions.entries},
                                std::pair{sqlite_idempotency_merged_name, &positions.idempotency}}) {
    sqlite_statement_use use(read);
    use->bind(1, name);
    if (!use->step())
      throw journal_error(std::string("sqlite: corrupt index_meta: no row ") + name);
    *position = use->column_int64(0);
  }
  return positions;
}

namespace {

void switch_index_to_wal(sqlite_connection& index) {
  sqlite_statement pragma(index.get(), "PRAGMA journal_mode = WAL");
  sqlite_statement_use use(pragma);
  if (!use->step() || use->column_text(0) != "wal")
    throw journal_error("sqlite: cannot switch the index file to WAL mode");
}

// Whether SQLite can read the file at all. Only a definite "not a database" or "malformed"
// says no; any other failure (busy, I/O) is thrown, so a file another process is using is
// never taken for garbage and replaced.
bool file_is_a_database(sqlite_connection& index) {
  auto code = sqlite3_exec(index.get(), "SELECT count(*) FROM sqlite_schema", nullptr, nullptr, nullptr);
  if (code == SQLITE_OK)
    return true;
  if ((code & 0xff) == SQLITE_NOTADB || (code & 0xff) == SQLITE_CORRUPT)
    return false;
  throw_sqlite_error(index.get(), code, "read the index file");
}

// Whether the index file is one this build wrote for this log, reaching no further than it.
// The merged positions are read before the log's ends: a running writer (another process) only
// ever merges rows it appended before, so read in this order they never look ahead wrongly.
// A read that fails is thrown, not taken for "unusable": resetting a file another process
// uses (a `ledgerflow check` beside a running node) must never follow from a transient error.
bool index_file_usable(sqlite_connection& index, sqlite_connection& log, int64_t log_id) {
  {
    sqlite_statement version(index.get(), "PRAGMA user_version");
    sqlite_statement_use use(version);
    if (!use->step() || use->column_int64(0) != index_schema_version)
      return false;
  }
  {
    sqlite_statement tables(index.get(), "SELECT name, sql FROM sqlite_schema ORDER BY name");
    sqlite_statement_use use(tables);
    for (const auto& [name, sql] : index_tables) {
      // sqlite_schema also lists the tables' automatic indexes (sqlite_autoindex_*); skip them.
      bool found = false;
      while (use->step()) {
        if (use->column_text(0) == name) {
          if (use->column_text(1) != sql)
            return false;
          found = true;
          break;
        }
      }
      if (!found)
        return false;
    }
  }
  {
    sqlite_statement id(index.get(), "SELECT value FROM index_meta WHERE name = 'log_id'");
    sqlite_statement_use use(id);
    if (!use->step() || use->column_int64(0) != log_id)
      return false;
  }
  auto merged = read_merged_positions(index);
  auto ends = read_log_ends(log);
  return merged.entries >= 0 && merged.idempotency >= 0 && merged.entries <= ends.entries
         && merged.idempotency <= ends.idempotency;
}

// Empties the file into a fresh index of this log reaching position 0.
void reset_index_file(sqlite_connection& index, int64_t log_id) {
  index.execute("BEGIN IMMEDIATE", "begin resetting the index file");
  try {
    sqlite_statement tables(index.get(), "SELECT name FROM sqlite_schema WHERE type = 'table'");
    std::vector<std::string> names;
    for (sqlite_statement_use use(tables); use->step();)
      names.emplace_back(use->column_text(0));
    for (const auto& name : names) {
      if (name.rfind("sqlite_", 0) == 0)
        continue;
      auto drop = "DROP TABLE \"" + name + "\"";
      index.execute(drop.c_str(), "drop a table of the index file");
    }
    for (const auto& table : index_tables)
      index.execute(table.second, "create the index file's tables");
    auto meta = "INSERT INTO index_meta (name, value) VALUES ('" + std::string(sqlite_entries_merged_name) + "', 0), ('"
                + sqlite_idempotency_merged_name + "', 0), ('log_id', " + std::to_string(log_id) + ")";
    index.execute(meta.c_str(), "initialise index_meta");
    auto version = "PRAGMA user_version = " + std::to_string(index_schema_version);
    index.execute(version.c_str(), "set the index file's version");
    index.execute("COMMIT", "commit the reset index file");
  } catch (...) {
    index.rollback();
    throw;
  }
}

} // namespace

bool prepare_sqlite_index_file(const std::string& log_path, sqlite_connection& log, uint32_t busy_timeout_ms) {
  auto path = sqlite_index_path(log_path);
  auto log_id = read_log_id(log);
  {
    sqlite_connection index(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    sqlite3_busy_timeout(index.get(), static_cast<int>(busy_timeout_ms));
    if (file_is_a_database(index)) {
      switch_index_to_wal(index);
      if (index_file_usable(index, log, log_id))
        return false;
      reset_index_file(index, log_id);
      return true;
    }
  }
  // Not a database at all, or a malformed one: start a new file.
  for (auto suffix : {"", "-wal", "-shm"}) {
    std::error_code ignored;
    std::filesystem::remove(path + suffix, ignored);
  }
  sqlite_connection index(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  sqlite3_busy_timeout(index.get(), static_cast<int>(busy_timeout_ms));
  switch_index_to_wal(index);
  reset_index_file(index, log_id);
  return true;
}

} // namespace ledgerflow
