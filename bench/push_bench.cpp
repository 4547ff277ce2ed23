#include "bench/push_bench.hpp"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "bench/child_process.hpp"
#include "bench/latency_stats.hpp"
#include "bench/loopback_ceiling.hpp"
#include "bench/proc_stats.hpp"
#include "bench/transfer_load.hpp"
#include "bench/ws_client_pool.hpp"
#include "gateway/jwt.hpp"

#ifndef LEDGERFLOW_SOURCE_DIR
#define LEDGERFLOW_SOURCE_DIR "."
#endif

namespace ledgerflow {

namespace {

using steady = std::chrono::steady_clock;
namespace fs = std::filesystem;

constexpr const char* mint_account = "system:push_mint";
constexpr const char* seed_amount = "1000000.00";
constexpr auto server_start_timeout = std::chrono::seconds(60);
constexpr auto seed_timeout = std::chrono::seconds(120);
constexpr auto connect_timeout = std::chrono::seconds(180);
constexpr int64_t token_ttl_s = 86'400;
constexpr size_t open_files_spare = 200;  // HTTP lanes, logs, libraries, the odd pipe

std::string account_name(size_t index) {
  return "user:push" + std::to_string(index);
}

void sleep_s(double seconds) {
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
}

double unix_now_s() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string random_secret() {
  std::random_device device;
  std::ostringstream hex;
  for (int index = 0; index < 4; ++index)
    hex << std::hex << device() << device();
  return "bench-push-" + hex.str();
}

// Everything the run is made of, fixed before it starts.
struct push_workload {
  std::vector<std::string> accounts;
  std::vector<ws_client_spec> clients;
  double subscribers_per_account = 0;
  double deliveries_per_transfer = 0;
  std::string admin_token;
};

push_workload make_workload(const push_bench_options& options, const std::string& secret) {
  push_workload workload;
  for (size_t index = 0; index < options.accounts; ++index)
    workload.accounts.push_back(account_name(index));
  auto expires = static_cast<int64_t>(unix_now_s()) + token_ttl_s;
  for (size_t client = 0; client < options.connections; ++client) {
    ws_client_spec spec;
    for (size_t lane = 0; lane < options.subscriptions_per_connection; ++lane)
      spec.accounts.push_back(workload.accounts[(client * options.subscriptions_per_connection + lane) % options.accounts]);
    token_claims claims{"push-client-" + std::to_string(client), spec.accounts, token_role::user, expires};
    spec.token = sign_token(claims, secret);
    workload.clients.push_back(std::move(spec));
  }
  workload.admin_token = sign_token({"push-bench-admin", {}, token_role::admin, expires}, secret);
  workload.subscribers_per_account = static_cast<double>(options.connections * options.subscriptions_per_connection) /
                                     static_cast<double>(options.accounts);
  workload.deliveries_per_transfer = 2 * workload.subscribers_per_account;
  return workload;
}

// Only the limits that would refuse the workload are raised; everything else is the default.
void write_server_config(const std::string& path, const push_bench_options& options) {
  auto connections = options.connections + options.http_connections + 1'000;
  std::ofstream config(path);
  config << "# written by `ledgerflow bench push`: limits above the workload, defaults otherwise\n"
         << "connections_max = " << connections << "\n"
         << "[websocket]\n"
         << "connections_per_ip_max = " << connections << "\n"
         << "connections_per_subject_max = " << connections << "\n"
         // the Node relay subscribes to every bench account on one connection
         << "subscriptions_max = " << std::max<size_t>(100, options.accounts) << "\n"
         // idle clients send nothing after subscribing; a long run must not time them out
         << "idle_timeout_ms = 3600000\n";
  if (!config)
    throw std::runtime_error("cannot write " + path);
}

std::unique_ptr<child_process> start_server(const push_bench_options& options, const std::string& work_dir,
                                            const std::string& secret, uint16_t port) {
  auto binary = options.server_binary.empty() ? fs::read_symlink("/proc/self/exe").string() : options.server_binary;
  auto config_path = work_dir + "/serve.toml";
  write_server_config(config_path, options);
  auto listen = "127.0.0.1:" + std::to_string(port);
  auto server = std::make_unique<child_process>(
    std::vector<std::string>{binary, "serve", "--config", config_path, "--listen", listen, "--data-dir",
                             work_dir + "/data", "--db", "sqlite:" + work_dir + "/data/push.db"},
    std::vector<std::string>{"LEDGERFLOW_JWT_SECRET=" + secret}, work_dir + "/serve.log");
  if (!server->wait_for_log("listening on " + listen, server_start_timeout))
    throw std::runtime_error("ledgerflow serve did not start (" + server->exit_reason() + "): " + server->log_tail());
  return server;
}

void seed_accounts(transfer_load& load, const push_workload& workload) {
  std::vector<std::string> deposits;
  for (const auto& account : workload.accounts)
    deposits.push_back(transfer_load::transfer_body("push-seed-" + account, mint_account, account, "banking/USD",
                                                    seed_amount));
  if (auto failed = load.post_all(std::move(deposits), seed_timeout))
    throw std::runtime_error(std::to_string(failed) + " seeding deposits failed: " + load.first_error());
}

std::unique_ptr<ws_client_pool> connect_clients(const push_bench_options& options, const push_workload& workload,
                                                uint16_t port, const char* to_whom) {
  ws_pool_options pool_options;
  pool_options.port = port;
  pool_options.io_threads = options.client_threads;
  auto pool = std::make_unique<ws_client_pool>(pool_options, workload.clients);
  std::cerr << "bench push: connecting " << options.connections << " clients to " << to_whom << "\n";
  auto started = steady::now();
  pool->connect_all(connect_timeout);
  auto counts = pool->counts();
  std::cerr << "bench push: " << counts.subscribed << " subscribed, " << counts.failed << " failed in "
            << std::chrono::duration<double>(steady::now() - started).count() << " s\n";
  if (counts.subscribed < options.connections)
    throw std::runtime_error(std::string("only ") + std::to_string(counts.subscribed) + " of " +
                             std::to_string(options.connections) + " clients subscribed to " + to_whom + ": " +
                             pool->first_error());
  return pool;
}

// What one measured window saw.
struct phase_figures {
  double offered_transfers_per_s = 0;
  double transfers_per_s = 0;   // 2xx answers in the window
  double delivered_per_s = 0;   // balance frames received in the window
  double expected_per_s = 0;    // transfers_per_s x deliveries a transfer
  double p50_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0;
  size_t latency_samples = 0;
  double transfer_p50_ms = 0, transfer_p99_ms = 0;  // HTTP request latency
  double server_cpu_cores = 0, bench_cpu_cores = 0;
  double upstream_cpu_cores = 0;  // the Node phase: ledgerflow feeding the Node server
  // The whole machine: what every process used, and what neither the server(s) nor this bench
  // did (other tenants of a shared machine); steal is time the hypervisor kept the cores.
  double machine_cpu_cores = 0, others_cpu_cores = 0, steal_cpu_cores = 0;
  std::map<std::string, double> server_threads_cpu_cores;  // by thread name
  std::map<std::string, double> bench_threads_cpu_cores;
  ws_pool_counts window;  // counters' growth in the window
  uint64_t transfers_failed = 0;
};

ws_pool_counts difference(const ws_pool_counts& later, const ws_pool_counts& earlier) {
  return {later.subscribed - earlier.subscribed, later.failed - earlier.failed, later.closed - earlier.closed,
          later.delivered - earlier.delivered,   later.coalesced - earlier.coalesced,
          later.seq_missing - earlier.seq_missing, later.seq_repeated - earlier.seq_repeated,
          later.errors - earlier.errors,         later.bytes - earlier.bytes};
}

// Stops the load and waits (at most 60 s) until no delivery arrived for a second: a phase
// after a saturated one must not inherit its backlog (queued in the server and in the
// sockets), or its latencies would be the previous phase's queueing.
void drain_backlog(const char* before, transfer_load& load, ws_client_pool& pool) {
  load.set_rate(0);
  auto started = steady::now();
  auto last = pool.counts().delivered;
  for (;;) {
    sleep_s(1.0);
    auto now = pool.counts().delivered;
    if (now == last || steady::now() - started > std::chrono::seconds(60))
      break;
    last = now;
  }
  std::cerr << "bench push: drained the backlog before " << before << " in "
            << std::chrono::duration<double>(steady::now() - started).count() << " s\n";
}

// Drains, warms up at `rate`, then a measured window of `duration_s`, printing a line a second.
phase_figures measure_phase(const char* name, double rate, const push_bench_options& options, transfer_load& load,
                            ws_client_pool& pool, pid_t server_pid, const push_workload& workload,
                            pid_t upstream_pid = -1) {
  std::cerr << "bench push: " << name << ": " << std::lround(rate) << " transfers/s (" << std::lround(rate * workload.deliveries_per_transfer)
            << " deliveries/s offered), warm-up " << options.warmup_s << " s\n";
  drain_backlog(name, load, pool);
  load.set_rate(rate);
  sleep_s(options.warmup_s);
  phase_figures figures;
  figures.offered_transfers_per_s = rate;
  auto clients_before = pool.counts();
  auto load_before = load.counts();
  auto server_cpu_before = process_cpu_seconds(server_pid);
  auto server_threads_before = process_thread_cpu_seconds(server_pid);
  auto upstream_cpu_before = upstream_pid > 0 ? process_cpu_seconds(upstream_pid) : 0.0;
  auto bench_cpu_before = process_cpu_seconds(getpid());
  auto bench_threads_before = process_thread_cpu_seconds(getpid());
  auto machine_before = machine_cpu();
  pool.record(true);
  load.record(true);
  auto started = steady::now();
  auto last_delivered = clients_before.delivered;
  std::vector<float> latencies;
  // A line a second with that second's latencies, so a stall shows when it happened.
  for (double waited = 0; waited < options.duration_s; waited += 1) {
    sleep_s(std::min(1.0, options.duration_s - waited));
    auto now = pool.counts();
    auto second = pool.take_latencies_ms();
    std::cerr << "bench push: " << name << ": " << (now.delivered - last_delivered) << " delivered in the last second, p50 "
              << percentile(second, 0.5) << " ms, p99 " << percentile(second, 0.99) << " ms, max "
              << percentile(second, 1.0) << " ms\n";
    latencies.insert(latencies.end(), second.begin(), second.end());
    last_delivered = now.delivered;
  }
  pool.record(false);
  load.record(false);
  auto elapsed = std::chrono::duration<double>(steady::now() - started).count();
  figures.window = difference(pool.counts(), clients_before);
  auto load_after = load.counts();
  figures.server_cpu_cores = (process_cpu_seconds(server_pid) - server_cpu_before) / elapsed;
  for (const auto& [thread, seconds] : thread_cpu_between(server_threads_before, process_thread_cpu_seconds(server_pid)))
    figures.server_threads_cpu_cores[thread] = seconds / elapsed;
  if (upstream_pid > 0)
    figures.upstream_cpu_cores = (process_cpu_seconds(upstream_pid) - upstream_cpu_before) / elapsed;
  figures.bench_cpu_cores = (process_cpu_seconds(getpid()) - bench_cpu_before) / elapsed;
  for (const auto& [thread, seconds] : thread_cpu_between(bench_threads_before, process_thread_cpu_seconds(getpid())))
    figures.bench_threads_cpu_cores[thread] = seconds / elapsed;
  auto machine_after = machine_cpu();
  figures.machine_cpu_cores = (machine_after.busy - machine_before.busy) / elapsed;
  figures.steal_cpu_cores = (machine_after.steal - machine_before.steal) / elapsed;
  figures.others_cpu_cores = std::max(0.0, figures.machine_cpu_cores - figures.server_cpu_cores -
                                             figures.upstream_cpu_cores - figures.bench_cpu_cores);
  figures.transfers_per_s = static_cast<double>(load_after.ok - load_before.ok) / elapsed;
  figures.transfers_failed = load_after.failed - load_before.failed;
  figures.delivered_per_s = static_cast<double>(figures.window.delivered) / elapsed;
  figures.expected_per_s = figures.transfers_per_s * workload.deliveries_per_transfer;
  auto last_samples = pool.take_latencies_ms();  // those that came after the last line
  latencies.insert(latencies.end(), last_samples.begin(), last_samples.end());
  figures.latency_samples = latencies.size();
  figures.p50_ms = percentile(latencies, 0.50);
  figures.p99_ms = percentile(latencies, 0.99);
  figures.p999_ms = percentile(latencies, 0.999);
  figures.max_ms = percentile(latencies, 1.0);
  auto transfer_latencies = load.take_latencies_ms();
  figures.transfer_p50_ms = percentile(transfer_latencies, 0.50);
  figures.transfer_p99_ms = percentile(transfer_latencies, 0.99);
  std::cerr << "bench push: " << name << ": " << std::lround(figures.delivered_per_s) << " delivered/s, "
            << std::lround(figures.transfers_per_s) << " transfers/s, p50 " << figures.p50_ms << " ms, p99 "
            << figures.p99_ms << " ms, p99.9 " << figures.p999_ms << " ms; server " << figures.server_cpu_cores
            << " cores, bench " << figures.bench_cpu_cores << " cores, others " << figures.others_cpu_cores
            << " cores\n";
  return figures;
}

// Dividing by a power of ten (not multiplying by 0.001) gives the double nearest the decimal.
double rounded(double value, int decimals = 3) {
  auto scale = std::pow(10.0, decimals);
  return std::round(value * scale) / scale;
}

nlohmann::json cores_by_thread(const std::map<std::string, double>& threads) {
  nlohmann::json cores = nlohmann::json::object();
  for (const auto& [thread, used] : threads)
    if (used >= 0.005)
      cores[thread] = rounded(used);
  return cores;
}

nlohmann::json phase_json(const phase_figures& figures) {
  return {
    {"offered_transfers_per_s", rounded(figures.offered_transfers_per_s, 1)},
    {"transfers_per_s", rounded(figures.transfers_per_s, 1)},
    {"delivered_per_s", std::round(figures.delivered_per_s)},
    {"expected_per_s", std::round(figures.expected_per_s)},
    {"p50_ms", rounded(figures.p50_ms)},
    {"p99_ms", rounded(figures.p99_ms)},
    {"p999_ms", rounded(figures.p999_ms)},
    {"max_ms", rounded(figures.max_ms)},
    {"latency_samples", figures.latency_samples},
    {"transfer_http_p50_ms", rounded(figures.transfer_p50_ms)},
    {"transfer_http_p99_ms", rounded(figures.transfer_p99_ms)},
    {"transfers_failed", figures.transfers_failed},
    {"coalesced", figures.window.coalesced},
    {"seq_missing", figures.window.seq_missing},
    {"seq_repeated", figures.window.seq_repeated},
    {"error_frames", figures.window.errors},
    {"connections_closed", figures.window.closed},
    {"bytes_per_delivery",
     figures.window.delivered ? rounded(static_cast<double>(figures.window.bytes) / figures.window.delivered, 1) : 0.0},
    {"server_cpu_cores", rounded(figures.server_cpu_cores)},
    {"server_threads_cpu_cores", cores_by_thread(figures.server_threads_cpu_cores)},
    // CPU per delivery holds up better than throughput when other tenants take cores away.
    {"server_cpu_us_per_delivery",
     figures.delivered_per_s > 0 ? rounded(figures.server_cpu_cores * 1e6 / figures.delivered_per_s, 2) : 0.0},
    {"bench_cpu_us_per_delivery",
     figures.delivered_per_s > 0 ? rounded(figures.bench_cpu_cores * 1e6 / figures.delivered_per_s, 2) : 0.0},
    {"bench_cpu_cores", rounded(figures.bench_cpu_cores)},
    {"bench_threads_cpu_cores", cores_by_thread(figures.bench_threads_cpu_cores)},
    {"upstream_cpu_cores", rounded(figures.upstream_cpu_cores)},
    {"machine_cpu_cores", rounded(figures.machine_cpu_cores)},
    {"others_cpu_cores", rounded(figures.others_cpu_cores)},
    {"steal_cpu_cores", rounded(figures.steal_cpu_cores)},
  };
}

// The Node baseline's results, or why there are none.
struct node_figures {
  std::optional<phase_figures> phase;
  std::optional<double> rss_per_idle_conn_kib;
  std::string versions;
  std::string unavailable_reason;
};

// The `ws` package of the Node tests (tests/node, installed by scripts/install-node-deps.sh):
// one package.json and lock for every Node program of the project.
std::string node_path_default() {
  return std::string(LEDGERFLOW_SOURCE_DIR) + "/tests/node/node_modules";
}

// `rate`: the transfers/s ledgerflow's full-load phase sustained, unless --node-rate says
// otherwise. The same stream of transfers, so the ledgerflow that feeds the Node server spends
// what it spent in that phase on taking transfers, and the fan-out has the same cores left.
node_figures measure_node(const push_bench_options& options, const push_workload& workload, transfer_load& load,
                          uint16_t server_port, pid_t server_pid, const std::string& work_dir, double rate) {
  node_figures figures;
  if (rate <= 0) {
    figures.unavailable_reason = "no transfer rate to run it at (full load sustained none)";
    return figures;
  }
  auto script = options.node_script.empty() ? std::string(LEDGERFLOW_SOURCE_DIR) + "/bench/node/ws_broadcast_server.mjs"
                                            : options.node_script;
  std::string accounts;
  for (const auto& account : workload.accounts)
    accounts += (accounts.empty() ? "" : ",") + account;
  auto port = free_loopback_port();
  std::unique_ptr<child_process> node;
  try {
    node = std::make_unique<child_process>(
      std::vector<std::string>{options.node_binary, script, "--upstream",
                               "ws://127.0.0.1:" + std::to_string(server_port) + "/v1/ws", "--token",
                               workload.admin_token, "--accounts", accounts, "--port", std::to_string(port)},
      std::vector<std::string>{"NODE_PATH=" + (options.node_path.empty() ? node_path_default() : options.node_path)},
      work_dir + "/node.log");
  } catch (const std::exception& failure) {
    figures.unavailable_reason = failure.what();
    return figures;
  }
  if (!node->wait_for_log("listening on 127.0.0.1:" + std::to_string(port), server_start_timeout)) {
    auto tail = node->log_tail(600);
    while (!tail.empty() && tail.back() == '\n')
      tail.pop_back();
    figures.unavailable_reason =
      "the Node server did not start (" + node->exit_reason() + "): " + tail.substr(tail.rfind('\n') + 1);
    return figures;
  }
  auto log = node->log_tail(4000);
  if (auto at = log.find("node v"); at != std::string::npos)
    figures.versions = log.substr(at, log.find('\n', at) - at);
  auto rss_before = process_rss_kib(node->pid());
  auto pool = connect_clients(options, workload, port, "the Node ws server");
  sleep_s(options.idle_settle_s);
  auto rss_idle = process_rss_kib(node->pid());
  figures.rss_per_idle_conn_kib = (static_cast<double>(rss_idle) - static_cast<double>(rss_before)) /
                                  static_cast<double>(options.connections);
  figures.phase = measure_phase("node ws", rate, options, load, *pool, node->pid(), workload, server_pid);
  load.set_rate(0);
  pool.reset();
  node->stop();
  return figures;
}

std::string make_work_dir(const push_bench_options& options) {
  if (!options.work_dir.empty()) {
    fs::create_directories(options.work_dir);
    return options.work_dir;
  }
  std::string pattern = (fs::temp_directory_path() / "ledgerflow-push-XXXXXX").string();
  if (!mkdtemp(pattern.data()))
    throw std::runtime_error("cannot create a temporary directory");
  return pattern;
}

void check_options(const push_bench_options& options, size_t open_files) {
  if (options.accounts < 2 || options.subscriptions_per_connection < 1 ||
      options.subscriptions_per_connection > options.accounts)
    throw std::runtime_error("need at least 2 accounts and 1..accounts subscriptions per connection");
  if (options.connections + options.http_connections + open_files_spare > open_files)
    throw std::runtime_error("this process may open only " + std::to_string(open_files) + " files; " +
                             std::to_string(options.connections) + " connections do not fit");
}

struct push_report {
  push_workload* workload = nullptr;
  size_t rss_before_kib = 0, rss_idle_kib = 0;
  phase_figures full, half;
  node_figures node;
  std::vector<loopback_ceiling_figures> loopback;  // one send per message, then a few per send
};

// The kernel's share of the cost: the same messages over loopback TCP with no server at all,
// once written one per send (as a push server must when each connection has one event due) and
// once four per send (what writing several frames at once would buy).
std::vector<loopback_ceiling_figures> measure_loopback(const push_bench_options& options, size_t open_files,
                                                       const phase_figures& full) {
  auto connections = std::min(options.connections, (open_files - open_files_spare) / 2);
  // A frame of 126..65535 payload bytes has a 4-byte header (server frames are not masked).
  auto frame_bytes = static_cast<size_t>(full.window.delivered ? full.window.bytes / full.window.delivered : 246) + 4;
  auto duration_s = std::min(options.duration_s, 5.0);
  std::vector<loopback_ceiling_figures> figures;
  for (size_t per_send : {1, 4}) {
    std::cerr << "bench push: loopback TCP ceiling: " << connections << " connections, " << frame_bytes << "-byte messages, "
              << per_send << " a send\n";
    figures.push_back(measure_loopback_ceiling(connections, frame_bytes, per_send, duration_s));
    std::cerr << "bench push: loopback TCP ceiling: " << std::lround(figures.back().messages_per_s) << " messages/s, "
              << figures.back().cpu_us_per_message << " us CPU a message\n";
  }
  return figures;
}

nlohmann::json loopback_json(const loopback_ceiling_figures& figures) {
  return {{"connections", figures.connections},
          {"message_bytes", figures.message_bytes},
          {"messages_per_send", figures.messages_per_send},
          {"messages_per_s", std::round(figures.messages_per_s)},
          {"cpu_us_per_message", rounded(figures.cpu_us_per_message, 2)}};
}

nlohmann::json report_json(const push_bench_options& options, const push_report& report) {
  const auto& workload = *report.workload;
  auto rss_per_conn = (static_cast<double>(report.rss_idle_kib) - static_cast<double>(report.rss_before_kib)) /
                      static_cast<double>(options.connections);
  nlohmann::json out{
    {"bench", "push"},
    {"connections", options.connections},
    {"delivered_per_s", std::round(report.full.delivered_per_s)},
    {"p50_ms", rounded(report.half.p50_ms)},
    {"p99_ms", rounded(report.half.p99_ms)},
    {"p999_ms", rounded(report.half.p999_ms)},
    {"latency_phase", "half_load"},
    {"rss_per_idle_conn_kib", rounded(rss_per_conn, 2)},
    {"server_rss_before_ws_kib", report.rss_before_kib},
    {"server_rss_idle_kib", report.rss_idle_kib},
    {"accounts", options.accounts},
    {"subscriptions_per_connection", options.subscriptions_per_connection},
    {"subscribers_per_account", workload.subscribers_per_account},
    {"deliveries_per_transfer", workload.deliveries_per_transfer},
    {"transfers_per_s", rounded(report.full.transfers_per_s, 1)},
    // Below 95% of the offered transfers: the system, not --rate, set the full-load figures.
    {"full_load_saturated", report.full.transfers_per_s < 0.95 * report.full.offered_transfers_per_s},
    {"full_load", phase_json(report.full)},
    {"half_load", phase_json(report.half)},
    {"full_load_p50_ms", rounded(report.full.p50_ms)},
    {"full_load_p99_ms", rounded(report.full.p99_ms)},
    {"full_load_p999_ms", rounded(report.full.p999_ms)},
    {"half_load_delivered_per_s", std::round(report.half.delivered_per_s)},
    {"messages_lost", report.full.window.seq_missing + report.half.window.seq_missing},
    {"duration_s", options.duration_s},
    {"warmup_s", options.warmup_s},
    {"client_threads", options.client_threads},
    {"http_connections", options.http_connections},
    {"cores", std::thread::hardware_concurrency()},
  };
  out["loopback_ceiling"] = nlohmann::json::array();
  for (const auto& ceiling : report.loopback)
    out["loopback_ceiling"].push_back(loopback_json(ceiling));
  if (!report.loopback.empty() && report.loopback.front().messages_per_s > 0) {
    out["loopback_ceiling_messages_per_s"] = std::round(report.loopback.front().messages_per_s);
    out["ratio_to_loopback_ceiling"] = rounded(report.full.delivered_per_s / report.loopback.front().messages_per_s, 2);
  }
  const auto& node = report.node;
  if (node.phase) {
    out["node_ws_delivered_per_s"] = std::round(node.phase->delivered_per_s);
    out["ratio_to_node"] = nullptr;
    if (node.phase->delivered_per_s > 0)
      out["ratio_to_node"] = rounded(report.full.delivered_per_s / node.phase->delivered_per_s, 2);
    out["node_ws_p50_ms"] = rounded(node.phase->p50_ms);
    out["node_ws_p99_ms"] = rounded(node.phase->p99_ms);
    out["node_ws_p999_ms"] = rounded(node.phase->p999_ms);
    out["node_ws"] = phase_json(*node.phase);
    out["node_ws_rss_per_idle_conn_kib"] = rounded(*node.rss_per_idle_conn_kib, 2);
    out["node_ws_transfers_per_s"] = rounded(node.phase->transfers_per_s, 1);
    // Below 95% of what the transfers called for: Node fell behind (its backlog, and so its
    // latency, grew through the window); otherwise it kept up and ratio_to_node is a floor.
    out["node_ws_saturated"] = node.phase->delivered_per_s < 0.95 * node.phase->expected_per_s;
    out["node_ws_versions"] = node.versions;
    out["node_ws_unavailable_reason"] = nullptr;
  } else {
    out["node_ws_delivered_per_s"] = nullptr;
    out["ratio_to_node"] = nullptr;
    out["node_ws_unavailable_reason"] = node.unavailable_reason;
  }
  return out;
}

int run(const push_bench_options& options) {
  auto open_files = raise_open_files_limit();
  check_options(options, open_files);
  auto work_dir = make_work_dir(options);
  std::cerr << "bench push: work dir " << work_dir << ", open files limit " << open_files << "\n";
  auto secret = random_secret();
  auto workload = make_workload(options, secret);
  push_report report;
  report.workload = &workload;
  {
    auto port = free_loopback_port();
    auto server = start_server(options, work_dir, secret, port);
    std::cerr << "bench push: ledgerflow serve pid " << server->pid() << " on port " << port << "\n";
    transfer_load_options load_options;
    load_options.port = port;
    load_options.token = workload.admin_token;
    load_options.connections = options.http_connections;
    load_options.accounts = workload.accounts;
    load_options.key_prefix = "push-" + std::to_string(static_cast<int64_t>(unix_now_s())) + "-";
    transfer_load load(load_options);
    std::cerr << "bench push: seeding " << options.accounts << " accounts\n";
    seed_accounts(load, workload);
    sleep_s(0.5);
    report.rss_before_kib = process_rss_kib(server->pid());
    auto pool = connect_clients(options, workload, port, "ledgerflow");
    sleep_s(options.idle_settle_s);
    report.rss_idle_kib = process_rss_kib(server->pid());
    std::cerr << "bench push: server RSS " << report.rss_before_kib << " KiB before, " << report.rss_idle_kib
              << " KiB with " << options.connections << " idle subscribed clients\n";
    report.full = measure_phase("full load", options.rate, options, load, *pool, server->pid(), workload);
    auto half_rate = 0.5 * report.full.delivered_per_s / workload.deliveries_per_transfer;
    report.half = measure_phase("half load", half_rate, options, load, *pool, server->pid(), workload);
    load.set_rate(0);
    if (auto error = pool->first_error(); !error.empty())
      std::cerr << "bench push: first client error: " << error << "\n";
    pool.reset();
    if (options.skip_node)
      report.node.unavailable_reason = "skipped (--skip-node)";
    else
      try {
        report.node = measure_node(options, workload, load, port, server->pid(), work_dir,
                                   options.node_rate > 0 ? options.node_rate : report.full.transfers_per_s);
      } catch (const std::exception& failure) {
        load.set_rate(0);
        report.node = {};
        report.node.unavailable_reason = std::string("the Node baseline failed: ") + failure.what();
      }
    if (!report.node.phase)
      std::cerr << "bench push: no Node baseline: " << report.node.unavailable_reason << "\n";
    if (auto error = load.first_error(); !error.empty())
      std::cerr << "bench push: first transfer error: " << error << "\n";
  }
  if (!options.skip_loopback_ceiling)
    report.loopback = measure_loopback(options, open_files, report.full);
  std::cout << report_json(options, report).dump() << std::endl;
  if (options.work_dir.empty() && !options.keep_work_dir)
    fs::remove_all(work_dir);
  return 0;
}

} // namespace

int run_push_bench(const push_bench_options& options) {
  try {
    return run(options);
  } catch (const std::exception& failure) {
    std::cerr << "bench push: " << failure.what() << "\n";
    return 1;
  }
}

} // namespace ledgerflow
