// `ledgerflow bench journal`: what the journal writer's thread can append, without actors.
// Batches shaped like the writer's (two entries per transfer with dense per-account seqs, one
// idempotency record per transfer, in-flight markers for the transfers whose legs straddle
// two batches) go straight to sqlite_journal::append on one thread; in the same run, the
// ceiling of raw SQLite batched inserts of the same rows on this machine.
#pragma once

#include <cstddef>
#include <string>

#include "persistence/sqlite/sqlite_options.hpp"

namespace ledgerflow {

struct journal_bench_options {
  double duration_s = 10;            // measured phase (wall clock)
  size_t accounts = 10'000;          // user accounts money moves between
  size_t batch_transfers = 1'000;    // transfers per append (the writer sees ~200-1500)
  // Of each batch's transfers, this percentage has its credit leg in the next batch: its
  // debit goes with an in-flight marker, which the next batch deletes.
  double straddling_percent = 2;
  size_t raw_rows_transfers = 400'000;  // transfers' worth of rows for the raw SQLite ceiling
  std::string work_dir = "./data/bench";  // fresh SQLite files are created here
  // Overrides of the storage config, to compare merge settings; 0 keeps the configured value.
  size_t index_merge_rows = 0;
  size_t index_merge_chunk_rows = 0;
  bool index_merge_inline = false;  // merge on the appending thread (the pre-background way)
  // Idempotency keys drawn at random (as UUIDs from clients would be) instead of counting up,
  // which puts each merge's keys at the end of the key index.
  bool random_keys = false;
};

// Runs the benchmark, prints progress to stderr and one JSON object last on stdout.
// Returns the process exit code.
int run_journal_bench(const journal_bench_options& options, const sqlite_options& sqlite);

} // namespace ledgerflow
