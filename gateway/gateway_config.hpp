// What the gateway needs from the configuration. Plain data: app/ fills it from TOML,
// environment and flags; the defaults are the bounds in protocols/limits.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "protocols/limits.hpp"

namespace ledgerflow {

struct listen_address {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0 asks the kernel for a free port (tests); read it back with port()
};

struct gateway_config {
  listen_address listen;
  // When set, /metrics (and later the operator routes) are served only here, so the public
  // listener never exposes them; when empty they are served on `listen`.
  std::optional<listen_address> admin_listen;
  std::string jwt_secret;  // HS256 key; the server refuses to start without one
  size_t io_threads = 2;
  size_t body_bytes_max = limits::http_body_bytes_max;
  size_t header_bytes_max = limits::http_header_bytes_max;
  size_t connections_max = limits::http_connections_max;
  uint32_t read_timeout_ms = limits::http_read_timeout_ms;
  // How long a request may wait for the ledger before it is answered 503 unavailable.
  uint32_t ledger_timeout_ms = limits::command_timeout_ms;
  // How long stop() lets requests already in hand finish (ledger answer included) before it
  // closes what is left; 0 closes at once.
  uint32_t drain_timeout_ms = limits::http_drain_ms;
};

// Hard ceiling for io_threads: more threads than this only add contention.
using limits::gateway_io_threads_max;

} // namespace ledgerflow
