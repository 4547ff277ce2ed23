// The baseline `bench ledger --db postgresql://...` compares the ledger with: transfers the way a
// typical Node/Prisma service writes them, one SQL transaction per transfer on the same
// PostgreSQL server: lock both balance rows (SELECT ... FOR UPDATE, in account order so two
// transfers never deadlock), check the funds, update both balances, insert the two entries and the
// idempotency record, COMMIT. N client threads, each with its own connection, as many clients as
// the ledger run has; each transfer is durable at its COMMIT, as the ledger's are.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace ledgerflow {

struct naive_sql_options {
  std::string url;          // the database; the baseline's tables go in their own schema
  std::string schema = "ledgerflow_bench_naive";  // dropped and created afresh
  size_t clients = 64;      // threads, each with its own connection
  size_t accounts = 10'000;
  double warmup_s = 2;
  double duration_s = 10;
};

struct naive_sql_result {
  double transfers_per_s = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  uint64_t completed = 0;
  uint64_t failed = 0;  // transactions that failed (none expected: locks are taken in order)
};

// Throws std::runtime_error when the database cannot be used.
naive_sql_result measure_naive_sql(const naive_sql_options& options);

} // namespace ledgerflow
