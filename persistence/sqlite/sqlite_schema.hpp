// The journal's tables and the ordered migrations that build them. PRAGMA user_version
// records how many migrations a database file has had.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "persistence/sqlite/sqlite_handle.hpp"

namespace ledgerflow {

// The schema version this build writes: the number of migration steps.
size_t sqlite_schema_version();

// Applies the missing migration steps in one transaction. Throws journal_error when the file
// has a newer schema than this build knows, rather than guessing at it.
void migrate_sqlite_schema(sqlite_connection& connection);
// Stops at `target_version` (for tests that build a file as an older release left it).
void migrate_sqlite_schema(sqlite_connection& connection, size_t target_version);

// A pos in each log table: how far an index reaches, or where a log ends.
struct sqlite_log_positions {
  int64_t entries = 0;
  int64_t idempotency = 0;
  bool operator==(const sqlite_log_positions& other) const {
    return entries == other.entries && idempotency == other.idempotency;
  }
  bool operator!=(const sqlite_log_positions& other) const { return !(*this == other); }
};

// The names of the merged positions in the index file's index_meta.
inline constexpr const char* sqlite_entries_merged_name = "entry_index_merged_pos";
inline constexpr const char* sqlite_idempotency_merged_name = "idempotency_index_merged_pos";

// The index file beside the log at `log_path`: entry_index, idempotency_index and index_meta
// (how far each index reaches, and the log_id of the log it indexes). Derived data, written
// only by the index merger, with its own write lock.
std::string sqlite_index_path(const std::string& log_path);
// The id the log file was given at migration step 3 (journal_meta 'log_id').
int64_t read_log_id(sqlite_connection& log);
// The last pos of each log table, on `log`.
sqlite_log_positions read_log_ends(sqlite_connection& log);
// How far the indexes reach, as index_meta says, read on an index file connection.
sqlite_log_positions read_merged_positions(sqlite_connection& index);
// Makes the index file of `log_path` usable for the log open on `log` (up to date): creates it
// when missing, and empties it (indexes reaching position 0) when it is not a database, not
// this build's index schema, not this log's (log_id), or reaches past the log's end. Returns
// whether it was (re)created. Writes nothing to a usable file.
bool prepare_sqlite_index_file(const std::string& log_path, sqlite_connection& log, uint32_t busy_timeout_ms);

} // namespace ledgerflow
