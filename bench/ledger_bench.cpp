#include "bench/ledger_bench.hpp"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <random>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <nlohmann/json.hpp>

#include "actors/ledger_service.hpp"
#include "actors/message_types.hpp"
#include "bench/latency_stats.hpp"
#include "bench/raw_sqlite_baseline.hpp"
#include "persistence/sqlite/sqlite_journal.hpp"

namespace ledgerflow {

namespace {

using steady = std::chrono::steady_clock;

constexpr const char* bench_mint = "system:bench_mint";
constexpr const char* bench_bucket = "banking/USD";

std::string user_account(size_t index) {
  return "user:bench" + std::to_string(index);
}

// What every client shares: where to send, when to record, and where results go.
struct bench_run {
  ledger_service* service = nullptr;
  size_t accounts = 0;
  size_t window = 0;
  std::atomic<bool> measuring{false};
  std::atomic<bool> stopping{false};
  std::atomic<uint64_t> completed{0};
  std::atomic<uint64_t> failed{0};
  std::atomic<size_t> clients_done{0};
  std::mutex latencies_mutex;
  std::vector<float> latencies_ms;
};

struct client_state {
  bench_run* run = nullptr;
  uint64_t client_id = 0;
  uint64_t next_key = 0;
  std::mt19937_64 random;
  std::vector<float> latencies_ms;
  size_t in_flight = 0;
};

using client_self = caf::stateful_actor<client_state>;

void send_one(client_self* self);

void on_reply(client_self* self, steady::time_point sent, bool ok) {
  auto& st = self->state;
  --st.in_flight;
  if (st.run->measuring.load(std::memory_order_relaxed)) {
    st.latencies_ms.push_back(std::chrono::duration<float, std::milli>(steady::now() - sent).count());
    (ok ? st.run->completed : st.run->failed).fetch_add(1, std::memory_order_relaxed);
  }
  if (!st.run->stopping.load(std::memory_order_relaxed)) {
    send_one(self);
  } else if (st.in_flight == 0) {
    {
      std::lock_guard<std::mutex> lock(st.run->latencies_mutex);
      auto& all = st.run->latencies_ms;
      all.insert(all.end(), st.latencies_ms.begin(), st.latencies_ms.end());
    }
    st.run->clients_done.fetch_add(1);
    self->quit();
  }
}

void send_one(client_self* self) {
  auto& st = self->state;
  auto accounts = st.run->accounts;
  auto from = st.random() % accounts;
  auto to = (from + 1 + st.random() % (accounts - 1)) % accounts;
  transfer_request request{"bench-" + std::to_string(st.client_id) + "-" + std::to_string(++st.next_key),
                           user_account(from), bench_bucket, user_account(to), bench_bucket, 1};
  auto& guard = st.run->service->guard_for(request.idempotency_key);
  auto sent = steady::now();
  ++st.in_flight;
  // The guard answers every request within the command timeout, so no client-side timer.
  self->request(guard, caf::infinite, transfer_atom::value, std::move(request))
    .then([self, sent](transfer_receipt&) { on_reply(self, sent, true); },
          [self, sent](caf::error&) { on_reply(self, sent, false); });
}

caf::behavior bench_client(client_self* self, bench_run* run, uint64_t client_id) {
  self->state.run = run;
  self->state.client_id = client_id;
  self->state.random.seed(client_id * 7919 + 17);
  for (size_t i = 0; i < run->window; ++i)
    send_one(self);
  return {[](caf::ok_atom) {}};
}

// Gives every user account enough to pay its share of the run, from a system account.
void fund_accounts(ledger_service& service, size_t accounts) {
  caf::scoped_actor self{service.system()};
  for (size_t index = 0; index < accounts; ++index) {
    transfer_request request{"bench-fund-" + std::to_string(index), bench_mint, bench_bucket, user_account(index),
                             bench_bucket, 100'000'000};
    self->send(service.guard_for(request.idempotency_key), transfer_atom::value, std::move(request));
  }
  for (size_t index = 0; index < accounts; ++index)
    self->receive([](transfer_receipt&) {},
                  [](caf::error& failure) { throw std::runtime_error("funding failed: " + caf::to_string(failure)); });
}

struct ledger_figures {
  double transfers_per_s = 0;
  double p50_ms = 0, p99_ms = 0;
  double batch_avg = 0;
  double fsync_p50_ms = 0, fsync_p99_ms = 0;
  uint64_t failed = 0;
  double batch_avg_transfers = 0;
};

ledger_figures measure_ledger(const ledger_bench_options& options, const asset_registry& assets,
                              const ledger_config& ledger, const sqlite_options& sqlite) {
  auto path = options.work_dir + "/bench-ledger.db";
  for (auto suffix : {"", "-wal", "-shm"})
    std::filesystem::remove(path + suffix);
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", options.caf_threads);
  caf::actor_system system{cfg};
  ledger_figures figures;
  {
    ledger_service service(system, sqlite_journal::open(path, sqlite), assets, ledger,
                           std::make_shared<system_clock>());
    if (auto started = service.start(); !started)
      throw std::runtime_error("ledger did not start: " + started.error().message);
    std::cerr << "bench ledger: funding " << options.accounts << " accounts\n";
    fund_accounts(service, options.accounts);
    bench_run run;
    run.service = &service;
    run.accounts = options.accounts;
    run.window = options.window;
    std::cerr << "bench ledger: " << options.clients << " clients x " << options.window << " in flight, warmup "
              << options.warmup_s << " s\n";
    for (size_t client = 0; client < options.clients; ++client)
      system.spawn(bench_client, &run, client);
    std::this_thread::sleep_for(std::chrono::duration<double>(options.warmup_s));
    auto metrics = service.metrics();
    metrics->recent_commit_ms.reset();
    metrics->recent_batch_entries.reset();
    auto batches_before = metrics->batches_written.load();
    auto entries_before = metrics->entries_written.load();
    run.measuring = true;
    auto started = steady::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(options.duration_s));
    run.measuring = false;
    auto elapsed = std::chrono::duration<double>(steady::now() - started).count();
    auto batches = metrics->batches_written.load() - batches_before;
    auto entries = metrics->entries_written.load() - entries_before;
    run.stopping = true;
    while (run.clients_done.load() < options.clients)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    figures.transfers_per_s = static_cast<double>(run.completed.load()) / elapsed;
    figures.failed = run.failed.load();
    figures.p50_ms = percentile(run.latencies_ms, 0.50);
    figures.p99_ms = percentile(run.latencies_ms, 0.99);
    figures.batch_avg = batches ? static_cast<double>(entries) / static_cast<double>(batches) : 0;
    figures.batch_avg_transfers = figures.batch_avg / 2;
    auto commits = metrics->recent_commit_ms.snapshot();
    figures.fsync_p50_ms = percentile(commits, 0.50);
    figures.fsync_p99_ms = percentile(commits, 0.99);
    service.stop();
  }
  return figures;
}

} // namespace

int run_ledger_bench(const ledger_bench_options& options, const asset_registry& assets, const ledger_config& ledger,
                     const sqlite_options& sqlite) {
  try {
    std::filesystem::create_directories(options.work_dir);
    auto figures = measure_ledger(options, assets, ledger, sqlite);
    std::cerr << "bench ledger: raw SQLite ceiling with " << options.raw_rows_transfers << " transfers' rows\n";
    auto batch = std::max<size_t>(1, static_cast<size_t>(figures.batch_avg_transfers + 0.5));
    auto raw = measure_raw_sqlite(options.work_dir + "/bench-raw.db", options.raw_rows_transfers,
                                  std::max<size_t>(batch, 1024), sqlite);
    nlohmann::json out{
      {"bench", "ledger"},
      {"transfers_per_s", std::round(figures.transfers_per_s)},
      {"p50_ms", figures.p50_ms},
      {"p99_ms", figures.p99_ms},
      {"batch_avg", figures.batch_avg},
      {"fsync_p50_ms", figures.fsync_p50_ms},
      {"fsync_p99_ms", figures.fsync_p99_ms},
      {"raw_sqlite_rows_per_s", std::round(raw.rows_per_s)},
      {"raw_sqlite_transfers_per_s", std::round(raw.transfers_per_s)},
      {"ratio_to_raw", figures.transfers_per_s / raw.transfers_per_s},
      {"failed", figures.failed},
      {"clients", options.clients},
      {"window", options.window},
      {"accounts", options.accounts},
      {"duration_s", options.duration_s},
      {"synchronous", std::string(to_string(sqlite.synchronous))},
      {"rows_per_transfer", 3},
    };
    std::cout << out.dump() << std::endl;
    return 0;
  } catch (const std::exception& failure) {
    std::cerr << "bench ledger: " << failure.what() << "\n";
    return 1;
  }
}

} // namespace ledgerflow
