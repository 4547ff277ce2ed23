#include "bench/provider_bench.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

#include <unistd.h>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <nlohmann/json.hpp>

#include "actors/providers/circuit_breaker.hpp"
#include "actors/providers/provider_messages.hpp"
#include "actors/providers/provider_supervisor.hpp"
#include "bench/latency_stats.hpp"
#include "bench/proc_stats.hpp"
#include "providers/sandbox/sandbox_provider.hpp"

// jemalloc's control interface, when the binary links jemalloc (it does); weak so that a build
// without it still links and reports the allocation figure as unknown.
extern "C" int mallctl(const char* name, void* old_value, size_t* old_length, void* new_value, size_t new_length)
  __attribute__((weak));

namespace ledgerflow {

namespace {

using steady = std::chrono::steady_clock;
using bench_start_atom = caf::atom_constant<caf::atom("bstart")>;

// Bytes this thread has allocated so far, or -1 when jemalloc is not there to say.
int64_t thread_allocated_bytes() {
  if (mallctl == nullptr)
    return -1;
  uint64_t allocated = 0;
  size_t length = sizeof(allocated);
  if (mallctl("thread.allocated", &allocated, &length, nullptr, 0) != 0)
    return -1;
  return static_cast<int64_t>(allocated);
}

double nanoseconds_per(steady::duration elapsed, size_t count) {
  return std::chrono::duration<double, std::nano>(elapsed).count() / static_cast<double>(count);
}

nlohmann::json measure_breaker(size_t decisions) {
  circuit_breaker breaker{breaker_settings{}};
  auto now = steady::now();
  size_t admitted = 0;
  auto bytes_before = thread_allocated_bytes();
  auto started = steady::now();
  for (size_t i = 0; i < decisions; ++i)
    admitted += breaker.try_acquire(now);
  auto decision_elapsed = steady::now() - started;
  started = steady::now();
  for (size_t i = 0; i < decisions; ++i) {
    admitted += breaker.try_acquire(now);
    breaker.on_result(now, false, std::chrono::microseconds(i & 1023));
  }
  auto recorded_elapsed = steady::now() - started;
  auto bytes_after = thread_allocated_bytes();
  if (admitted != 2 * decisions)
    std::cerr << "bench providers: the closed breaker refused calls\n";
  return {{"bench", "breaker_decision"},
          {"decisions", decisions},
          {"ns_per_decision", nanoseconds_per(decision_elapsed, decisions)},
          {"ns_per_decision_and_record", nanoseconds_per(recorded_elapsed, decisions)},
          {"bytes_allocated", bytes_before < 0 ? nlohmann::json(nullptr) : nlohmann::json(bytes_after - bytes_before)}};
}

// Figures the callers share; each caller writes its own latency samples.
struct call_figures {
  std::atomic<bool> measuring{false};
  std::atomic<bool> stopping{false};
  std::atomic<uint64_t> completed{0};
  std::atomic<uint64_t> failed{0};
};

struct caller_state {
  std::vector<steady::time_point> sent;  // per slot of the window
  std::vector<float> latency_us;
  uint64_t next_key = 0;
  static inline const char* name = "provider_bench_caller";
};

provider_call bench_call(const std::string& operation, size_t caller, uint64_t key) {
  if (operation == "quote")
    return {"quote", "", {{"asset", "BTC"}, {"currency", "USD"}, {"side", "buy"}, {"amount", "100.00"}}};
  return {"collect", "c" + std::to_string(caller) + "-" + std::to_string(key),
          {{"account", "user:bench"}, {"amount", "1.00"}, {"currency", "USD"}}};
}

caf::behavior bench_caller(caf::stateful_actor<caller_state>* self, caf::actor supervisor, size_t caller,
                           size_t window, std::string operation, call_figures* figures) {
  auto send_call = [self, supervisor, caller, operation](uint64_t slot) {
    self->state.sent[slot] = steady::now();
    self->send(supervisor, provider_call_atom::value, slot, bench_call(operation, caller, self->state.next_key++));
  };
  self->state.sent.resize(window);
  self->state.latency_us.reserve(1 << 20);
  return {
    [window, send_call](bench_start_atom) {
      for (uint64_t slot = 0; slot < window; ++slot)
        send_call(slot);
    },
    [self, figures, send_call](provider_reply_atom, uint64_t slot, const provider_reply& reply) {
      if (figures->measuring.load(std::memory_order_relaxed)) {
        figures->completed.fetch_add(1, std::memory_order_relaxed);
        if (!reply.outcome.ok())
          figures->failed.fetch_add(1, std::memory_order_relaxed);
        if (self->state.latency_us.size() < self->state.latency_us.capacity())
          self->state.latency_us.push_back(
            std::chrono::duration<float, std::micro>(steady::now() - self->state.sent[slot]).count());
      }
      if (!figures->stopping.load(std::memory_order_relaxed))
        send_call(slot);
    },
    [self](caf::get_atom) { return self->state.latency_us; },
  };
}

nlohmann::json measure_supervisor(const provider_bench_options& options) {
  caf::actor_system_config config;
  config.set("scheduler.max-threads", options.caf_threads);
  caf::actor_system system{config};
  auto kind = options.operation == "quote" ? provider_kind::exchange : provider_kind::payments;
  sandbox_settings sandbox;
  sandbox.kind = kind;
  sandbox.remembered_keys_max = 10'000;  // bounded: the store is the sandbox's cost, not the supervisor's
  auto adapter = std::make_shared<sandbox_provider>(sandbox);
  supervisor_settings settings;
  settings.name = "bench-sandbox";
  settings.workers = static_cast<uint32_t>(options.workers);
  settings.queue_max = static_cast<uint32_t>(options.callers * options.window);
  settings.inline_calls = options.inline_calls;
  auto gauges = std::make_shared<provider_gauges>(settings.name, kind, "sandbox", settings.workers);
  auto supervisor = spawn_provider_supervisor(system, settings, adapter, gauges);

  call_figures figures;
  std::vector<caf::actor> callers;
  for (size_t caller = 0; caller < options.callers; ++caller)
    callers.push_back(system.spawn(bench_caller, supervisor, caller, options.window, options.operation, &figures));
  for (const auto& caller : callers)
    caf::anon_send(caller, bench_start_atom::value);
  std::this_thread::sleep_for(std::chrono::duration<double>(options.warmup_s));
  figures.measuring = true;
  auto cpu_before = process_cpu_seconds(getpid());
  auto started = steady::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(options.duration_s));
  figures.measuring = false;
  auto elapsed = std::chrono::duration<double>(steady::now() - started).count();
  auto completed = figures.completed.load();
  auto cpu_seconds = process_cpu_seconds(getpid()) - cpu_before;
  figures.stopping = true;
  std::this_thread::sleep_for(std::chrono::milliseconds(200));

  std::vector<float> latencies;
  caf::scoped_actor self{system};
  for (const auto& caller : callers)
    self->request(caller, std::chrono::seconds(10), caf::get_atom::value)
      .receive([&latencies](const std::vector<float>& samples) {
                 latencies.insert(latencies.end(), samples.begin(), samples.end());
               },
               [](caf::error&) {});
  for (const auto& caller : callers)
    caf::anon_send_exit(caller, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(supervisor, caf::exit_reason::user_shutdown);
  auto status = gauges->snapshot();
  return {{"bench", "provider_calls"},
          {"operation", options.operation},
          {"callers", options.callers},
          {"window", options.window},
          {"workers", options.workers},
          {"execution", options.inline_calls ? "inline" : "workers"},
          {"caf_threads", options.caf_threads},
          {"calls", completed},
          {"failed", figures.failed.load()},
          {"calls_per_s", static_cast<double>(completed) / elapsed},
          // CPU per call holds up on a shared machine where throughput does not: callers,
          // supervisor, workers and sandbox together, all in this process.
          {"cpu_us_per_call", completed == 0 ? 0.0 : cpu_seconds * 1e6 / static_cast<double>(completed)},
          {"process_cpu_cores", cpu_seconds / elapsed},
          {"p50_us", percentile(latencies, 0.50)},
          {"p99_us", percentile(latencies, 0.99)},
          {"breaker_state", std::string(to_string(status.breaker.state))},
          {"sandbox_side_effects", adapter->side_effects()}};
}

} // namespace

int run_provider_bench(const provider_bench_options& options) {
  std::cerr << "bench providers: breaker decision, " << options.decisions << " decisions\n";
  auto breaker = measure_breaker(options.decisions);
  std::cout << breaker.dump() << std::endl;
  std::cerr << "bench providers: calls through one supervisor to a zero-latency sandbox for " << options.duration_s
            << " s (" << options.callers << " callers x " << options.window << " in flight)\n";
  auto calls = measure_supervisor(options);
  std::cout << calls.dump() << std::endl;
  nlohmann::json summary = {{"bench", "providers"},
                            {"calls_per_s", calls["calls_per_s"]},
                            {"p50_us", calls["p50_us"]},
                            {"p99_us", calls["p99_us"]},
                            {"ns_per_breaker_decision", breaker["ns_per_decision"]},
                            {"ns_per_breaker_decision_and_record", breaker["ns_per_decision_and_record"]},
                            {"breaker_bytes_allocated", breaker["bytes_allocated"]},
                            {"failed", calls["failed"]}};
  std::cout << summary.dump() << std::endl;
  return calls["failed"].get<uint64_t>() == 0 ? 0 : 1;
}

} // namespace ledgerflow
