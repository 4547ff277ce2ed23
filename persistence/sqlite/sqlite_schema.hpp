// The journal's tables and the ordered migrations that build them. PRAGMA user_version
// records how many migrations a database file has had.
#pragma once

#include <cstddef>

#include "persistence/sqlite/sqlite_handle.hpp"

namespace ledgerflow {

// The schema version this build writes: the number of migration steps.
size_t sqlite_schema_version();

// Applies the missing migration steps in one transaction. Throws journal_error when the file
// has a newer schema than this build knows, rather than guessing at it.
void migrate_sqlite_schema(sqlite_connection& connection);
// Stops at `target_version` (for tests that build a file as an older release left it).
void migrate_sqlite_schema(sqlite_connection& connection, size_t target_version);

} // namespace ledgerflow
