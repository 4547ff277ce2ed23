// The ceiling the journal is measured against: the same rows a transfer writes (two entries
// and one idempotency record), inserted with plain prepared statements in large batches into
// an SQLite file with the same settings (WAL, same synchronous mode, same checkpoint interval).
// No actors, no checks, no index merge.
#pragma once

#include <cstddef>
#include <string>

#include "persistence/sqlite/sqlite_options.hpp"

namespace ledgerflow {

struct raw_sqlite_result {
  double transfers_per_s = 0;
  double rows_per_s = 0;
};

raw_sqlite_result measure_raw_sqlite(const std::string& path, size_t transfers, size_t transfers_per_batch,
                                     const sqlite_options& options);

} // namespace ledgerflow
