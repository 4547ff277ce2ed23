// `ledgerflow bench ledger`: durable transfers per second through the actor path (no HTTP),
// with N concurrent clients, and in the same run the ceiling of raw SQLite batched inserts
// of the same rows on this machine; on PostgreSQL (--db postgresql://...), the same through the
// PostgreSQL journal and, in the same run, a naive one-transaction-per-transfer SQL baseline.
#pragma once

#include <cstddef>
#include <string>

#include "actors/ledger_config.hpp"
#include "persistence/sqlite/sqlite_options.hpp"
#include "protocols/asset_registry.hpp"

namespace ledgerflow {

struct ledger_bench_options {
  size_t clients = 64;           // concurrent client actors (512 in flight: more only adds latency)
  size_t window = 8;             // transfers each client keeps in flight
  size_t accounts = 10'000;      // user accounts money moves between
  double duration_s = 10;        // measured phase
  double warmup_s = 2;           // unmeasured phase before it
  size_t raw_rows_transfers = 400'000;  // transfers' worth of rows for the raw SQLite ceiling
  // Raw runs, the best one counting: a ceiling is what the machine can do, and on a shared
  // machine one short run may land in another tenant's burst (seen: 108k-203k/s here).
  size_t raw_runs = 3;
  std::string work_dir = "./data/bench";  // fresh SQLite files are created here
  size_t caf_threads = 1;  // scheduler threads; `ledgerflow bench` passes the configured count
  // Non-empty: the ledger runs on this PostgreSQL database (its tables in a fresh schema,
  // ledgerflow_bench), and the comparison is the naive one-transaction-per-transfer baseline
  // (bench/naive_sql_baseline.hpp) on the same server instead of the raw SQLite ceiling.
  std::string postgresql_url;
  size_t baseline_clients = 0;  // the baseline's client threads; 0: as many as `clients`
};

// Runs the benchmark, prints progress to stderr and one JSON object last on stdout.
// Returns the process exit code.
int run_ledger_bench(const ledger_bench_options& options, const asset_registry& assets,
                     const ledger_config& ledger, const sqlite_options& sqlite);

} // namespace ledgerflow
