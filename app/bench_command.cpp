#include "app/bench_command.hpp"

namespace ledgerflow {

namespace {

// --db postgresql://... (or the config's db) runs a benchmark on PostgreSQL; "" for SQLite.
std::string postgresql_url(const app_config& config) {
  bool postgresql = config.db.rfind("postgresql://", 0) == 0 || config.db.rfind("postgres://", 0) == 0;
  return postgresql ? config.db : std::string();
}

} // namespace

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
  command->add_option("--baseline-clients", options.baseline_clients,
                      "with --db postgresql://...: client threads of the naive SQL baseline (default: --clients)");
}

int run_bench_ledger(const app_config& config, const bench_options& options) {
  auto tuned = options;
  tuned.caf_threads = config.caf_threads;
  tuned.postgresql_url = postgresql_url(config);  // then against the naive baseline
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

void add_bench_push_flags(CLI::App* command, push_bench_options& options) {
  command->add_option("--connections", options.connections, "WebSocket clients")
    ->check(CLI::Range(size_t{1}, size_t{100'000}));
  command->add_option("--accounts", options.accounts, "accounts money moves between")
    ->check(CLI::Range(size_t{2}, size_t{1'000'000}));
  command->add_option("--subscriptions-per-connection", options.subscriptions_per_connection,
                      "accounts each client subscribes to")->check(CLI::Range(size_t{1}, size_t{100}));
  command->add_option("--rate", options.rate, "transfers/s offered at full load")->check(CLI::Range(1.0, 1e6));
  command->add_option("--node-rate", options.node_rate,
                      "transfers/s in the Node baseline phase (default: what full load sustained)")
    ->check(CLI::Range(0.0, 1e6));
  command->add_option("--duration", options.duration_s, "measured seconds of each phase")->check(CLI::Range(0.5, 3600.0));
  command->add_option("--warmup", options.warmup_s, "unmeasured seconds before each phase")->check(CLI::Range(0.0, 600.0));
  command->add_option("--idle-settle", options.idle_settle_s, "seconds idle before reading the server's memory")
    ->check(CLI::Range(0.0, 600.0));
  command->add_option("--client-threads", options.client_threads, "io threads of the WebSocket clients")
    ->check(CLI::Range(size_t{1}, size_t{16}));
  command->add_option("--http-connections", options.http_connections, "keep-alive connections posting transfers")
    ->check(CLI::Range(size_t{1}, size_t{1'000}));
  command->add_flag("--skip-node", options.skip_node, "do not run the Node.js ws baseline");
  command->add_flag("--skip-loopback-ceiling", options.skip_loopback_ceiling,
                    "do not measure bare loopback TCP with the same connections");
  command->add_option("--node", options.node_binary, "the node binary");
  command->add_option("--node-script", options.node_script, "the Node baseline server (.mjs)");
  command->add_option("--node-path", options.node_path, "NODE_PATH where the `ws` package is found");
  command->add_option("--server", options.server_binary, "the ledgerflow binary to serve with (default: this one)");
  command->add_option("--work-dir", options.work_dir, "where the server's data and logs go (default: a temp dir)");
  command->add_flag("--keep-work-dir", options.keep_work_dir, "keep the temporary directory");
}

int run_bench_push(const push_bench_options& options) {
  return run_push_bench(options);
}

void add_bench_providers_flags(CLI::App* command, provider_bench_options& options) {
  command->add_option("--duration", options.duration_s, "measured seconds")->check(CLI::Range(0.1, 3600.0));
  command->add_option("--warmup", options.warmup_s, "unmeasured seconds before measuring")->check(CLI::Range(0.0, 600.0));
  command->add_option("--callers", options.callers, "caller actors")->check(CLI::Range(size_t{1}, size_t{10'000}));
  command->add_option("--window", options.window, "calls each caller keeps in flight")
    ->check(CLI::Range(size_t{1}, size_t{100'000}));
  command->add_option("--workers", options.workers, "the supervisor's bulkhead (workers)")
    ->check(CLI::Range(size_t{1}, size_t{4'096}));
  command->add_option("--decisions", options.decisions, "breaker decisions timed")
    ->check(CLI::Range(size_t{1'000}, size_t{10'000'000'000}));
  command->add_option("--operation", options.operation, "collect (keyed, changes money) or quote (a read)")
    ->check(CLI::IsMember({"collect", "quote"}));
  command->add_flag("--inline", options.inline_calls, "run attempts inside the supervisor instead of on worker actors");
}

int run_bench_providers(const app_config& config, const provider_bench_options& options) {
  auto tuned = options;
  tuned.caf_threads = config.caf_threads;
  return run_provider_bench(tuned);
}

void add_bench_sagas_flags(CLI::App* command, saga_bench_options& options) {
  command->add_option("--type", options.type, "the saga type")->check(CLI::IsMember({"deposit_to_invest", "invest_to_defi"}));
  command->add_option("--sagas", options.sagas, "sagas to run")->check(CLI::Range(size_t{1}, size_t{100'000'000}));
  command->add_option("--concurrency", options.concurrency, "sagas in flight")
    ->check(CLI::Range(size_t{1}, size_t{1'000'000}));
  command->add_option("--accounts", options.accounts, "user accounts the sagas are spread over")
    ->check(CLI::Range(size_t{1}, size_t{10'000'000}));
  command->add_option("--work-dir", options.work_dir, "where the benchmark's SQLite file goes");
  command->add_option("--timeout", options.timeout_s, "seconds to wait for every saga")->check(CLI::Range(1.0, 86'400.0));
  command->add_option("--threads", options.caf_threads, "CAF scheduler threads")
    ->check(CLI::Range(size_t{1}, size_t{64}));
  command->add_flag("!--workers", options.inline_calls,
                    "run the sandbox attempts on worker actors instead of inside the supervisors");
}

int run_bench_sagas(const app_config& config, const saga_bench_options& options) {
  auto tuned = options;
  tuned.db = postgresql_url(config);
  return run_saga_bench(tuned, config.assets, config.ledger, config.sqlite, config.sagas);
}

} // namespace ledgerflow
