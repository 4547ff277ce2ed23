#include "bench/ledger_bench.hpp"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <future>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <nlohmann/json.hpp>

#include "actors/ledger_service.hpp"
#include "bench/latency_stats.hpp"
#include "bench/naive_sql_baseline.hpp"
#include "bench/raw_sqlite_baseline.hpp"
#include "bench/thread_cpu.hpp"
#include "persistence/postgresql/postgresql_connection.hpp"
#include "persistence/postgresql/postgresql_journal.hpp"
#include "persistence/sqlite/sqlite_journal.hpp"

namespace ledgerflow {

namespace {

using steady = std::chrono::steady_clock;

constexpr const char* bench_mint = "system:bench_mint";
constexpr const char* bench_bucket = "banking/USD";

std::string user_account(size_t index) {
  return "user:bench" + std::to_string(index);
}

// SplitMix64: eight bytes of state per client. std::mt19937_64 keeps 2.5 KB, and 512 clients'
// states (1.3 MB) were a cache miss on every transfer the benchmark started, a cost of the
// benchmark rather than of the ledger.
struct small_random {
  uint64_t state = 0;
  uint64_t operator()() {
    uint64_t mixed = (state += 0x9e3779b97f4a7c15ull);
    mixed = (mixed ^ (mixed >> 30)) * 0xbf58476d1ce4e5b9ull;
    mixed = (mixed ^ (mixed >> 27)) * 0x94d049bb133111ebull;
    return mixed ^ (mixed >> 31);
  }
};

// What every client shares: where to send, when to record, and where results go.
struct bench_run {
  ledger_service* service = nullptr;
  size_t accounts = 0;
  std::atomic<bool> measuring{false};
  std::atomic<bool> stopping{false};
  std::atomic<uint64_t> completed{0};
  std::atomic<uint64_t> failed{0};
  std::atomic<size_t> slots_done{0};
};

// One transfer in flight at a time; a client keeps `window` of these busy. Each is driven by
// its own completion callback (on whichever worker thread ends the transfer), so it needs no
// lock: it is never running twice at once.
struct client_slot {
  bench_run* run = nullptr;
  std::string key_prefix;
  uint64_t next_key = 0;
  small_random random;
  std::vector<float> latencies_ms;
  steady::time_point sent;

  void send_one();
  void on_reply(bool ok);
};

void client_slot::send_one() {
  auto accounts = run->accounts;
  auto from = random() % accounts;
  auto to = (from + 1 + random() % (accounts - 1)) % accounts;
  transfer_request request{key_prefix + std::to_string(++next_key), user_account(from), bench_bucket,
                           user_account(to), bench_bucket, 1};
  sent = steady::now();
  // The ledger answers every request within the command timeout, so no client-side timer.
  run->service->transfer(std::move(request), [this](outcome<transfer_receipt> result) { on_reply(result.has_value()); });
}

void client_slot::on_reply(bool ok) {
  if (run->measuring.load(std::memory_order_relaxed)) {
    latencies_ms.push_back(std::chrono::duration<float, std::milli>(steady::now() - sent).count());
    (ok ? run->completed : run->failed).fetch_add(1, std::memory_order_relaxed);
  }
  if (!run->stopping.load(std::memory_order_relaxed))
    send_one();
  else
    run->slots_done.fetch_add(1);
}

// Gives every user account enough to pay its share of the run, from a system account.
void fund_accounts(ledger_service& service, size_t accounts) {
  std::promise<void> funded;
  std::atomic<size_t> remaining{accounts};
  std::atomic<bool> failed{false};
  std::string failure;
  for (size_t index = 0; index < accounts; ++index) {
    transfer_request request{"bench-fund-" + std::to_string(index), bench_mint, bench_bucket, user_account(index),
                             bench_bucket, 100'000'000};
    service.transfer(std::move(request), [&](outcome<transfer_receipt> result) {
      if (!result && !failed.exchange(true))
        failure = result.error().message;
      if (remaining.fetch_sub(1) == 1)
        funded.set_value();
    });
  }
  funded.get_future().wait();
  if (failed)
    throw std::runtime_error("funding failed: " + failure);
}

struct ledger_figures {
  double transfers_per_s = 0;
  double p50_ms = 0, p99_ms = 0;
  double batch_avg = 0;
  double fsync_p50_ms = 0, fsync_p99_ms = 0;
  uint64_t failed = 0;
  double batch_avg_transfers = 0;
  double writer_commit_share = 0;  // of wall time, the writer spent inside append (+ fsync)
  thread_cpu_seconds cpu;          // used during the measured phase, by thread name
  double cpu_seconds = 0;          // all threads
  double elapsed_s = 0;            // of the measured phase
  uint64_t completed = 0;          // transfers in it
};

std::shared_ptr<journal> fresh_sqlite_store(const ledger_bench_options& options, const sqlite_options& sqlite) {
  auto path = options.work_dir + "/bench-ledger.db";
  for (auto suffix : {"", "-wal", "-shm", "-index", "-index-wal", "-index-shm"})
    std::filesystem::remove(path + suffix);
  return sqlite_journal::open(path, sqlite);
}

ledger_figures measure_ledger(const ledger_bench_options& options, const asset_registry& assets,
                              const ledger_config& ledger, std::shared_ptr<journal> store) {
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", options.caf_threads);
  caf::actor_system system{cfg};
  ledger_figures figures;
  {
    ledger_service service(system, std::move(store), assets, ledger, std::make_shared<system_clock>());
    if (auto started = service.start(); !started)
      throw std::runtime_error("ledger did not start: " + started.error().message);
    std::cerr << "bench ledger: funding " << options.accounts << " accounts\n";
    fund_accounts(service, options.accounts);
    bench_run run;
    run.service = &service;
    run.accounts = options.accounts;
    std::cerr << "bench ledger: " << options.clients << " clients x " << options.window << " in flight, warmup "
              << options.warmup_s << " s\n";
    std::vector<std::unique_ptr<client_slot>> slots;
    for (size_t client = 0; client < options.clients; ++client)
      for (size_t lane = 0; lane < options.window; ++lane) {
        auto slot = std::make_unique<client_slot>();
        slot->run = &run;
        slot->key_prefix = "bench-" + std::to_string(client) + "-" + std::to_string(lane) + "-";
        slot->random.state = client * 7919 + lane * 104729 + 17;
        slots.push_back(std::move(slot));
      }
    for (auto& slot : slots)
      slot->send_one();
    std::this_thread::sleep_for(std::chrono::duration<double>(options.warmup_s));
    auto metrics = service.metrics();
    metrics->recent_commit_ms.reset();
    auto batches_before = metrics->batches_written.load();
    auto entries_before = metrics->entries_written.load();
    auto commit_ms_before = metrics->commit_ms.sum();
    auto cpu_before = sample_thread_cpu();
    run.measuring = true;
    auto started = steady::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(options.duration_s));
    run.measuring = false;
    auto elapsed = std::chrono::duration<double>(steady::now() - started).count();
    figures.cpu = thread_cpu_between(cpu_before, sample_thread_cpu());
    for (const auto& [name, seconds] : figures.cpu)
      figures.cpu_seconds += seconds;
    auto batches = metrics->batches_written.load() - batches_before;
    auto entries = metrics->entries_written.load() - entries_before;
    figures.writer_commit_share = (metrics->commit_ms.sum() - commit_ms_before) / (elapsed * 1000.0);
    run.stopping = true;
    while (run.slots_done.load() < slots.size())
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::vector<float> latencies_ms;
    for (auto& slot : slots)
      latencies_ms.insert(latencies_ms.end(), slot->latencies_ms.begin(), slot->latencies_ms.end());
    figures.elapsed_s = elapsed;
    figures.completed = run.completed.load();
    figures.transfers_per_s = static_cast<double>(figures.completed) / elapsed;
    figures.failed = run.failed.load();
    figures.p50_ms = percentile(latencies_ms, 0.50);
    figures.p99_ms = percentile(latencies_ms, 0.99);
    figures.batch_avg = batches ? static_cast<double>(entries) / static_cast<double>(batches) : 0;
    figures.batch_avg_transfers = figures.batch_avg / 2;
    auto commits = metrics->recent_commit_ms.snapshot();
    figures.fsync_p50_ms = percentile(commits, 0.50);
    figures.fsync_p99_ms = percentile(commits, 0.99);
    service.stop();
  }
  return figures;
}

// What the JSON objects of both stores carry, among them where a transfer's CPU went, per thread
// name (the CAF scheduler threads: account actors, finishers and this bench's clients; the
// writer, caf.actor; the SQLite index merger, lf.merge).
nlohmann::json ledger_json(const ledger_bench_options& options, const ledger_figures& figures) {
  nlohmann::json out{
    {"bench", "ledger"},
    {"transfers_per_s", std::round(figures.transfers_per_s)},
    {"p50_ms", figures.p50_ms},
    {"p99_ms", figures.p99_ms},
    {"batch_avg", figures.batch_avg},
    {"failed", figures.failed},
    {"writer_commit_share", figures.writer_commit_share},
    {"clients", options.clients},
    {"window", options.window},
    {"scheduler_threads", options.caf_threads},
    {"accounts", options.accounts},
    {"duration_s", options.duration_s},
    {"rows_per_transfer", 3},
  };
  auto transfers = static_cast<double>(figures.completed);
  auto per_transfer_us = [&](double seconds) { return transfers > 0 ? seconds * 1e6 / transfers : 0.0; };
  out["cpu_cores_busy"] = figures.elapsed_s > 0 ? figures.cpu_seconds / figures.elapsed_s : 0.0;
  out["cpu_us_per_transfer"] = per_transfer_us(figures.cpu_seconds);
  for (const auto& [name, seconds] : figures.cpu)
    if (per_transfer_us(seconds) >= 0.05)
      out["cpu_us_per_transfer_by_thread"][name] = per_transfer_us(seconds);
  return out;
}

// The ledger on PostgreSQL (a fresh schema), then the naive baseline on the same server with as
// many clients, each at the server's own durability settings (reported beside the figures).
int run_postgresql_ledger_bench(const ledger_bench_options& options, const asset_registry& assets,
                                const ledger_config& ledger) {
  const std::string schema = "ledgerflow_bench";
  std::string fsync, synchronous_commit;
  {
    auto admin = connect_postgresql(options.postgresql_url, "bench");
    pqxx::nontransaction setup(*admin);
    setup.exec0("DROP SCHEMA IF EXISTS " + schema + " CASCADE; CREATE SCHEMA " + schema);
    auto settings = setup.exec1("SELECT current_setting('fsync'), current_setting('synchronous_commit')");
    fsync = settings[0].as<std::string>();
    synchronous_commit = settings[1].as<std::string>();
  }
  std::cerr << "bench ledger: on PostgreSQL " << redact_postgresql_url(options.postgresql_url) << " (fsync "
            << fsync << ", synchronous_commit " << synchronous_commit << ")\n";
  auto figures = measure_ledger(options, assets, ledger,
                                postgresql_journal::open(postgresql_url_with_schema(options.postgresql_url, schema)));
  naive_sql_options naive;
  naive.url = options.postgresql_url;
  naive.clients = options.baseline_clients ? options.baseline_clients : options.clients;
  naive.accounts = options.accounts;
  naive.warmup_s = options.warmup_s;
  naive.duration_s = options.duration_s;
  std::cerr << "bench ledger: naive SQL baseline, " << naive.clients << " clients, one transaction per transfer\n";
  auto baseline = measure_naive_sql(naive);
  auto out = ledger_json(options, figures);
  out.update({
    {"store", "postgresql"},
    {"commit_p50_ms", figures.fsync_p50_ms},  // the whole append: inserts, COMMIT and its WAL flush
    {"commit_p99_ms", figures.fsync_p99_ms},
    {"baseline_transfers_per_s", std::round(baseline.transfers_per_s)},
    {"baseline_p50_ms", baseline.p50_ms},
    {"baseline_p99_ms", baseline.p99_ms},
    {"baseline_failed", baseline.failed},
    {"baseline_clients", naive.clients},
    {"ratio_to_baseline", baseline.transfers_per_s > 0 ? figures.transfers_per_s / baseline.transfers_per_s : 0.0},
    {"fsync", fsync},
    {"synchronous_commit", synchronous_commit},
  });
  std::cout << out.dump() << std::endl;
  return 0;
}

} // namespace

int run_ledger_bench(const ledger_bench_options& options, const asset_registry& assets, const ledger_config& ledger,
                     const sqlite_options& sqlite) {
  try {
    if (!options.postgresql_url.empty())
      return run_postgresql_ledger_bench(options, assets, ledger);
    std::filesystem::create_directories(options.work_dir);
    auto figures = measure_ledger(options, assets, ledger, fresh_sqlite_store(options, sqlite));
    std::cerr << "bench ledger: raw SQLite ceiling with " << options.raw_rows_transfers << " transfers' rows, best of "
              << options.raw_runs << "\n";
    auto batch = std::max<size_t>(1, static_cast<size_t>(figures.batch_avg_transfers + 0.5));
    raw_sqlite_result raw;
    std::vector<double> raw_transfers_per_s;
    for (size_t run = 0; run < std::max<size_t>(1, options.raw_runs); ++run) {
      auto measured = measure_raw_sqlite(options.work_dir + "/bench-raw.db", options.raw_rows_transfers,
                                         std::max<size_t>(batch, 1024), sqlite);
      raw_transfers_per_s.push_back(std::round(measured.transfers_per_s));
      if (measured.transfers_per_s > raw.transfers_per_s)
        raw = measured;
    }
    auto out = ledger_json(options, figures);
    out.update({
      {"fsync_p50_ms", figures.fsync_p50_ms},
      {"fsync_p99_ms", figures.fsync_p99_ms},
      {"raw_sqlite_rows_per_s", std::round(raw.rows_per_s)},
      {"raw_sqlite_transfers_per_s", std::round(raw.transfers_per_s)},
      {"raw_sqlite_runs_transfers_per_s", raw_transfers_per_s},
      {"ratio_to_raw", figures.transfers_per_s / raw.transfers_per_s},
      {"synchronous", std::string(to_string(sqlite.synchronous))},
    });
    std::cout << out.dump() << std::endl;
    return 0;
  } catch (const std::exception& failure) {
    std::cerr << "bench ledger: " << failure.what() << "\n";
    return 1;
  }
}

} // namespace ledgerflow
