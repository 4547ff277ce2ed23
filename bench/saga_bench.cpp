#include "bench/saga_bench.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "actors/ledger_service.hpp"
#include "actors/providers/provider_service.hpp"
#include "bench/latency_stats.hpp"
#include "bench/proc_stats.hpp"
#include "bench/thread_cpu.hpp"
#include "persistence/ledger_check.hpp"
#include "persistence/postgresql/postgresql_journal.hpp"
#include "persistence/sqlite/sqlite_journal.hpp"
#include "providers/sandbox/sandbox_provider.hpp"
#include "sagas/saga_service.hpp"

namespace ledgerflow {

namespace {

using steady = std::chrono::steady_clock;

std::shared_ptr<journal> open_store(const saga_bench_options& options, const sqlite_options& sqlite) {
  if (!options.db.empty())
    return postgresql_journal::open(options.db);
  std::filesystem::create_directories(options.work_dir);
  auto path = options.work_dir + "/bench-sagas.db";
  for (auto suffix : {"", "-wal", "-shm", "-index", "-index-wal", "-index-shm"})
    std::filesystem::remove(path + suffix);
  return sqlite_journal::open(path, sqlite);
}

// One zero-latency sandbox per kind; attempts run inside the supervisors when `inline_calls`.
std::vector<provider_entry> zero_latency_sandboxes(const saga_bench_options& options) {
  std::vector<provider_entry> entries;
  for (auto kind : {provider_kind::payments, provider_kind::exchange, provider_kind::chain, provider_kind::defi}) {
    sandbox_settings sandbox;
    sandbox.kind = kind;
    sandbox.block_ms = 1;
    supervisor_settings settings;
    settings.name = "sandbox-" + std::string(to_string(kind));
    settings.inline_calls = options.inline_calls;
    settings.queue_max = static_cast<uint32_t>(std::max<size_t>(options.concurrency * 2, 1'024));
    entries.push_back(provider_entry{settings, std::make_shared<sandbox_provider>(sandbox)});
  }
  return entries;
}

// What the sagas need before they run: invest_to_defi spends investing/BTC the users hold.
bool fund_users(ledger_service& ledger, const saga_bench_options& options, const std::string& tag) {
  if (options.type != "invest_to_defi")
    return true;
  std::atomic<size_t> pending{options.accounts};
  std::atomic<bool> failed{false};
  for (size_t user = 0; user < options.accounts; ++user) {
    transfer_request funding{"fund-" + tag + "-" + std::to_string(user),
                             "system:exchange",
                             "investing/BTC",
                             "user:bench" + std::to_string(user),
                             "investing/BTC",
                             minor_units{100'000'000}};
    ledger.transfer(funding, [&](outcome<transfer_receipt> receipt) {
      if (!receipt)
        failed = true;
      pending.fetch_sub(1);
    });
  }
  while (pending.load() > 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return !failed.load();
}

saga_start_request bench_saga(const saga_bench_options& options, const std::string& tag, size_t index) {
  auto account = "user:bench" + std::to_string(index % options.accounts);
  auto key = "bench-" + tag + "-" + std::to_string(index);
  if (options.type == "invest_to_defi")
    return {options.type, key,
            {{"account", account}, {"asset", "BTC"}, {"amount", "0.00010000"}, {"protocol", "aave"},
             {"confirmations", "0"}}};
  return {options.type, key, {{"account", account}, {"amount", "100.00"}, {"currency", "USD"}, {"asset", "BTC"}}};
}

struct run_figures {
  std::mutex mutex;
  std::condition_variable ended_all;
  std::vector<float> duration_ms;
  std::atomic<size_t> started{0};
  std::atomic<size_t> ended{0};
  std::atomic<size_t> completed{0};
  std::atomic<size_t> start_errors{0};
  std::string first_problem;
};

} // namespace

int run_saga_bench(const saga_bench_options& options, const asset_registry& assets, const ledger_config& ledger_cfg,
                   const sqlite_options& sqlite, saga_settings settings) {
  auto store = open_store(options, sqlite);
  auto tag = std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", options.caf_threads);
  caf::actor_system system{cfg};
  nlohmann::json result;
  bool healthy = true;
  {
    auto time = std::make_shared<system_clock>();
    ledger_service ledger(system, store, assets, ledger_cfg, time);
    if (auto started = ledger.start(); !started) {
      std::cerr << "cannot start the ledger: " << started.error().message << "\n";
      return 2;
    }
    provider_service providers(system, zero_latency_sandboxes(options));
    saga_service sagas(system, ledger, providers, store, settings, time);
    run_figures figures;
    figures.duration_ms.reserve(options.sagas);
    std::function<void()> start_next;
    sagas.on_terminal([&](const saga_record& record) {
      {
        std::lock_guard<std::mutex> lock(figures.mutex);
        figures.duration_ms.push_back(static_cast<float>(time->now_us() - record.created_us) / 1000.0f);
        if (record.state != "completed" && figures.first_problem.empty())
          figures.first_problem = "saga " + record.id + " ended " + record.state + ": " + record.document;
      }
      if (record.state == "completed")
        figures.completed.fetch_add(1);
      start_next();
      if (figures.ended.fetch_add(1) + 1 == options.sagas)
        figures.ended_all.notify_all();
    });
    start_next = [&] {
      auto index = figures.started.fetch_add(1);
      if (index >= options.sagas)
        return;
      sagas.start(bench_saga(options, tag, index), [&](outcome<saga_record> started) {
        if (started)
          return;
        figures.start_errors.fetch_add(1);
        std::lock_guard<std::mutex> lock(figures.mutex);
        if (figures.first_problem.empty())
          figures.first_problem = "a start failed: " + started.error().message;
        if (figures.ended.fetch_add(1) + 1 == options.sagas)
          figures.ended_all.notify_all();
      });
    };
    if (auto started = sagas.start(); !started || !fund_users(ledger, options, tag)) {
      std::cerr << "cannot start the saga engine or fund the users\n";
      return 2;
    }
    std::cerr << "bench sagas: " << options.sagas << " " << options.type << " sagas, " << options.concurrency
              << " in flight, over " << options.accounts << " users\n";
    auto cpu_before = process_cpu_seconds(getpid());
    auto threads_before = sample_thread_cpu();
    auto begun = steady::now();
    for (size_t slot = 0; slot < std::min(options.concurrency, options.sagas); ++slot)
      start_next();
    {
      std::unique_lock<std::mutex> lock(figures.mutex);
      figures.ended_all.wait_for(lock, std::chrono::duration<double>(options.timeout_s),
                                 [&] { return figures.ended.load() >= options.sagas; });
    }
    auto elapsed = std::chrono::duration<double>(steady::now() - begun).count();
    auto cpu_seconds = process_cpu_seconds(getpid()) - cpu_before;
    auto thread_seconds = thread_cpu_between(threads_before, sample_thread_cpu());
    auto ended = figures.ended.load();
    auto completed = figures.completed.load();
    std::vector<float> durations;
    std::string problem;
    {
      std::lock_guard<std::mutex> lock(figures.mutex);
      durations = figures.duration_ms;
      problem = figures.first_problem;
    }
    auto metrics = ledger.metrics();
    result = {{"bench", "sagas"},
              {"type", options.type},
              {"store", options.db.empty() ? "sqlite" : "postgresql"},
              {"sagas", options.sagas},
              {"concurrency", options.concurrency},
              {"completed", completed},
              {"not_completed", options.sagas - std::min(options.sagas, completed)},
              {"sagas_per_s", static_cast<double>(completed) / elapsed},
              {"p50_ms", percentile(durations, 0.50)},
              {"p99_ms", percentile(durations, 0.99)},
              {"elapsed_s", elapsed},
              {"cpu_us_per_saga", completed > 0 ? cpu_seconds * 1e6 / static_cast<double>(completed) : 0.0},
              {"commit_p50_ms", metrics->commit_ms.quantile(0.5)},
              {"batches_written", metrics->batches_written.load()},
              {"entries_written", metrics->entries_written.load()}};
    // Where a saga's CPU goes: the scheduler threads (coordinators, accounts, supervisors),
    // the journal writer (SQLite or PostgreSQL commits), the index merger.
    for (const auto& [name, seconds] : thread_seconds)
      if (completed > 0)
        result["cpu_us_per_saga_by_thread"][name] = seconds * 1e6 / static_cast<double>(completed);
    if (ended < options.sagas || completed < options.sagas) {
      healthy = false;
      std::cerr << "not every saga completed (" << completed << " of " << options.sagas << ")"
                << (problem.empty() ? std::string() : ": " + problem.substr(0, 2000)) << "\n";
    }
    sagas.stop();
    providers.stop();
    ledger.stop();
  }
  auto report = check_ledger(*store, assets);
  result["ledger_check"] = report.ok() ? "ok" : "failed";
  if (!report.ok()) {
    healthy = false;
    std::cerr << "ledger check failed: " << report.problems.front() << "\n";
  }
  std::cout << result.dump() << std::endl;
  return healthy ? 0 : 1;
}

} // namespace ledgerflow
