// `ledgerflow bench push`: WebSocket fan-out of durable balance events, end to end.
//
// How it measures, and why this way:
// - The server is a separate process. A process may hold at most 20,000 open files here, and
//   10,000 client sockets plus 10,000 server sockets would not fit in one. The bench starts
//   `ledgerflow serve` (this binary) on a free loopback port with a fresh data dir, its own
//   JWT secret and a TOML config that raises connections_max and the per-IP, per-subject and
//   subscription limits above the workload (nothing else differs from the defaults), waits
//   for `listening on 127.0.0.1:PORT`, and stops it at the end.
// - Every message counted is a real delivery: a `balance` frame the server pushed to a client
//   subscribed to that account, one per durable journal entry. Nothing synthetic is sent. The
//   load is durable transfers posted over HTTP keep-alive (POST /v1/transfers, admin token,
//   unique idempotency keys) between A bench accounts, after one seeding deposit each from a
//   system account. Client i subscribes to k consecutive accounts (i*k .. i*k+k-1 mod A), so
//   each account has N*k/A subscribers and a transfer (two journal entries, one per side) is
//   2*N*k/A deliveries. Defaults: N 10,000, A 200, k 2: 100 subscribers an account, 200
//   deliveries a transfer.
// - Clients are Beast WebSocket clients in this process, on a few io threads, in JSON mode,
//   each with its own user token for the accounts it reads. They scan frames for the few keys
//   they need instead of parsing them (so the clients cost less than the server).
// - delivered_per_s: balance frames received by all clients in the measured window (after a
//   warm-up) divided by its length. Latency of one delivery = the client's receive time (unix
//   µs) minus the event's `durable_us`; percentiles over all deliveries in the window (capped in
//   memory; the report says how many were sampled), and a line a second on stderr.
// - Phases: (1) full load: transfers offered at --rate (far more than a 2-core machine takes
//   with this fan-out), so the server and the 64 HTTP lanes set what is taken; that is the
//   maximum, and full_load_saturated says whether it really was one. delivered_per_s and the
//   full_load_* latency fields; (2) half load, at half the delivered rate phase 1 measured: p50_ms, p99_ms and
//   p999_ms are this phase's. (3) The Node baseline: bench/node/ws_broadcast_server.mjs (plain
//   `ws`) subscribes to ledgerflow as one admin client and re-broadcasts to the same N clients,
//   with transfers at the rate phase 1 sustained (so the ledgerflow feeding it spends the same
//   on taking them); node_ws_delivered_per_s, ratio_to_node = delivered_per_s / it.
// - rss_per_idle_conn_kib: the server's VmRSS after all N clients connected and subscribed,
//   with no traffic, minus its VmRSS before any WebSocket connection (after seeding), over N.
// - All of it shares this machine's cores: the clients and the HTTP load run beside the
//   server, so the CPU each side used is reported too, and the whole machine's (other tenants).
// - Last, with every server stopped: the loopback TCP ceiling (bench/loopback_ceiling.hpp), the
//   same number of connections and frame size carried by two bare threads, one send() per
//   message; ratio_to_loopback_ceiling = delivered_per_s / it.
#pragma once

#include <cstddef>
#include <string>

namespace ledgerflow {

struct push_bench_options {
  size_t connections = 10'000;
  size_t accounts = 200;
  size_t subscriptions_per_connection = 2;
  double rate = 3'000;          // transfers/s offered at full load (64 HTTP lanes cap what is taken)
  double node_rate = 0;         // transfers/s in the Node phase; 0: what full load sustained
  double duration_s = 10;       // each measured window
  double warmup_s = 3;          // unmeasured, before each window
  double idle_settle_s = 2;     // after connecting, before reading the server's memory
  size_t client_threads = 2;    // io threads of the WebSocket clients
  size_t http_connections = 64; // keep-alive connections posting transfers
  bool skip_node = false;
  bool skip_loopback_ceiling = false;
  std::string node_binary = "node";
  std::string node_script;      // empty: bench/node/ws_broadcast_server.mjs of the source tree
  std::string node_path;        // NODE_PATH for `ws`; empty: tests/node/node_modules of the source tree
  std::string server_binary;    // empty: this binary (/proc/self/exe)
  std::string work_dir;         // empty: a fresh temporary directory, removed at the end
  bool keep_work_dir = false;
};

// Runs the benchmark, prints progress to stderr and one JSON object last on stdout.
// Returns the process exit code.
int run_push_bench(const push_bench_options& options);

} // namespace ledgerflow
