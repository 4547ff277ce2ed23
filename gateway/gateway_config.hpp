// What the gateway needs from the configuration. Plain data: app/ fills it from TOML,
// environment and flags; the defaults are the bounds in protocols/limits.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocols/limits.hpp"

namespace ledgerflow {

struct listen_address {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0 asks the kernel for a free port (tests); read it back with port()
};

// The WebSocket stream's bounds (docs/websocket.md); every violation has its error or close code.
struct websocket_config {
  // Origins a browser page may connect from, besides the server's own; "*" allows any.
  std::vector<std::string> allowed_origins;
  size_t message_bytes_max = limits::ws_message_bytes_max;
  size_t subscriptions_max = limits::ws_subscriptions_max;
  size_t connections_per_ip_max = limits::ws_connections_per_ip_max;
  size_t connections_per_subject_max = limits::ws_connections_per_subject_max;
  uint32_t messages_per_second = limits::ws_messages_per_second;
  uint32_t idle_timeout_ms = limits::ws_idle_timeout_ms;
  uint32_t ping_interval_ms = limits::ws_ping_interval_ms;
  size_t send_queue_frames_max = limits::ws_send_queue_frames_max;
  uint32_t behind_close_ms = limits::ws_behind_close_ms;
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
  websocket_config websocket;
  // PEM files; with both set the listeners speak TLS only (https://, wss://).
  std::string tls_certificate_file;
  std::string tls_private_key_file;
};

// Hard ceiling for io_threads: more threads than this only add contention.
using limits::gateway_io_threads_max;

} // namespace ledgerflow
