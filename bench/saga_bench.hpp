// `ledgerflow bench sagas`: sagas completed per second through the real engine, ledger and
// provider supervisors, durable (saga log and entries fsync'd by the group commit), with
// zero-latency in-process sandbox providers; and each saga's duration from its start to its
// durable terminal record (p50/p99). A window of sagas is kept in flight: each one that ends
// starts the next, until `sagas` have started.
#pragma once

#include <cstddef>
#include <string>

#include "actors/ledger_config.hpp"
#include "persistence/sqlite/sqlite_options.hpp"
#include "protocols/asset_registry.hpp"
#include "sagas/saga_settings.hpp"

namespace ledgerflow {

struct saga_bench_options {
  std::string type = "deposit_to_invest";  // or invest_to_defi
  size_t sagas = 20'000;
  size_t concurrency = 1'000;  // sagas in flight
  size_t accounts = 1'000;     // users the sagas are spread over
  std::string work_dir = "./data";  // the SQLite file goes here (removed first)
  std::string db;                   // postgresql://... to bench on PostgreSQL instead
  bool inline_calls = true;         // sandbox attempts inside the supervisors (they never block)
  // Scheduler threads. 2 here, unlike the ledger's default of 1: coordinators, accounts and
  // supervisors keep one thread busy while the journal writer has its own.
  size_t caf_threads = 2;
  double timeout_s = 300;
};

// Prints progress to stderr and one JSON object on stdout; exits non-zero if a saga did not
// complete or the ledger check fails afterwards.
int run_saga_bench(const saga_bench_options& options, const asset_registry& assets, const ledger_config& ledger,
                   const sqlite_options& sqlite, saga_settings settings);

} // namespace ledgerflow
