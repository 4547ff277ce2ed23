#include "app/bench_command.hpp"

namespace ledgerflow {

void add_bench_ledger_flags(CLI::App* command, bench_options& options) {
  command->add_option("--clients", options.clients, "concurrent client actors");
  command->add_option("--window", options.window, "transfers each client keeps in flight");
  command->add_option("--accounts", options.accounts, "user accounts to move money between")
    ->check(CLI::Range(size_t{2}, size_t{10'000'000}));
  command->add_option("--duration", options.duration_s, "measured seconds");
  command->add_option("--warmup", options.warmup_s, "unmeasured seconds before measuring");
  command->add_option("--raw-transfers", options.raw_rows_transfers, "transfers' rows for the raw SQLite ceiling");
  command->add_option("--raw-runs", options.raw_runs, "raw SQLite runs; the fastest is the ceiling")
    ->check(CLI::Range(size_t{1}, size_t{20}));
  command->add_option("--work-dir", options.work_dir, "where the benchmark's SQLite files go");
}

int run_bench_ledger(const app_config& config, const bench_options& options) {
  auto tuned = options;
  tuned.caf_threads = config.caf_threads;
  return run_ledger_bench(tuned, config.assets, config.ledger, config.sqlite);
}

void add_bench_journal_flags(CLI::App* command, journal_bench_options& options) {
  command->add_option("--duration", options.duration_s, "measured seconds")->check(CLI::Range(0.1, 3600.0));
  command->add_option("--accounts", options.accounts, "user accounts to move money between")
    ->check(CLI::Range(size_t{2}, size_t{10'000'000}));
  command->add_option("--batch-transfers", options.batch_transfers, "transfers per append")
    ->check(CLI::Range(size_t{1}, size_t{100'000}));
  command->add_option("--straddling-percent", options.straddling_percent,
                      "percent of a batch's transfers whose credit leg lands in the next batch")
    ->check(CLI::Range(0.0, 100.0));
  command->add_option("--raw-transfers", options.raw_rows_transfers, "transfers' rows for the raw SQLite ceiling");
  command->add_option("--work-dir", options.work_dir, "where the benchmark's SQLite files go");
  command->add_option("--index-merge-rows", options.index_merge_rows, "unmerged rows that start an index merge");
  command->add_option("--merge-chunk-rows", options.index_merge_chunk_rows, "index rows per merge transaction");
  command->add_flag("--merge-inline", options.index_merge_inline,
                    "merge on the appending thread instead of in the background");
  command->add_flag("--random-keys", options.random_keys,
                    "random idempotency keys (as client UUIDs) instead of counting ones");
}

int run_bench_journal(const app_config& config, const journal_bench_options& options) {
  return run_journal_bench(options, config.sqlite);
}

} // namespace ledgerflow
