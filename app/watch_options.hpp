// `ledgerflow watch`: its flags and the limits of the WebSocket client behind it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace ledgerflow {

struct watch_options {
  std::string url;                            // ws://HOST:PORT/v1/ws or wss://...
  std::string token;                          // JWT (flag or LEDGERFLOW_TOKEN)
  std::vector<std::string> accounts;          // one or more account ids
  std::optional<uint64_t> since_seq;          // replay every account's changes after this seq
  std::optional<uint64_t> balance_events_max; // --count: exit 0 once this many are printed
  std::optional<uint64_t> timeout_ms;         // exit 3 when the watch is not done by then
  bool msgpack = false;                       // offer ledgerflow.v1.msgpack, decode binary frames
  std::string ca_file;                        // PEM trusted for wss:// instead of the system's
  bool insecure = false;                      // wss:// without verifying the certificate
};

// Exit codes of `ledgerflow watch`.
namespace watch_exit {
constexpr int done = 0;         // --count reached, or Ctrl-C / SIGTERM closed it cleanly
constexpr int failed = 1;       // bad flags, no first connection, TLS or protocol failure
constexpr int refused = 2;      // upgrade answered 4xx, subscribe refused, close 1008
constexpr int timed_out = 3;    // --timeout-ms passed before the watch was done
} // namespace watch_exit

// Every bound of the client in one place.
namespace watch_limits {
constexpr uint64_t connect_timeout_ms = 10'000;       // resolve + TCP connect + TLS handshake
constexpr uint64_t handshake_timeout_ms = 10'000;     // WebSocket upgrade, and the closing handshake
constexpr uint64_t idle_timeout_ms = 45'000;          // silence before the link counts as dead
                                                      // (Beast pings at half of it; the server
                                                      // pings every 20 s when idle)
constexpr uint64_t reconnect_delay_first_ms = 100;    // doubles per failed attempt...
constexpr uint64_t reconnect_delay_max_ms = 5'000;    // ...up to this, with jitter
constexpr uint64_t message_bytes_max = 4u << 20;      // one server frame
constexpr size_t accounts_max = 10'000;               // per watch (the server has its own cap)
} // namespace watch_limits

void add_watch_flags(CLI::App* command, watch_options& options);

} // namespace ledgerflow
