// The gateway's HTTP server: one io_context on config.io_threads threads, a client listener
// and an optional admin listener, sessions routed to the REST handlers over a ledger_api.
// Free of Beast so app/ compiles it cheaply.
//
//   http_server server(config, ledger);
//   if (auto started = server.start(); !started) { /* print started.error().message, exit 1 */ }
//   spdlog::info("listening on {}:{}", config.listen.host, server.port());
//   ... server.stop();   // before the ledger goes away
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "actors/ledger_api.hpp"
#include "actors/providers/provider_api.hpp"
#include "gateway/gateway_config.hpp"
#include "gateway/unix_clock.hpp"
#include "sagas/saga_api.hpp"
#include "protocols/outcome.hpp"

namespace ledgerflow {

class http_server {
public:
  // The ledger must outlive the server; `clock` reads unix seconds for token expiry.
  // `providers`, when given, serves the /v1/providers routes and their metrics; it must
  // outlive the server too. `sagas`, when given, serves the /v1/sagas routes (else they answer
  // 503); it must outlive the server as well.
  http_server(gateway_config config, ledger_api& ledger, unix_seconds_clock clock = system_unix_seconds,
              provider_api* providers = nullptr, saga_api* sagas = nullptr);
  // Stops if still running.
  ~http_server();

  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  // Validates the config, binds the listener(s) and starts the io threads. Fails, with
  // nothing left running, on a bad config (bad_request) or an address that cannot be bound,
  // e.g. a port in use (unavailable, "cannot listen on 127.0.0.1:8080 (bind): Address
  // already in use"). Call once.
  status start();

  // Drains, then stops: closes the listeners, lets requests already in hand finish (their
  // ledger answer included) and write their responses with Connection: close, closes idle
  // connections at once, and waits until every connection ended or config.drain_timeout_ms
  // passed. Then drops ledger answers that arrive from now on (requests still unanswered get
  // no response), stops the io threads and joins them; connections left open are closed when
  // the server is destroyed. Idempotent; blocks for up to the drain timeout; never from an io
  // thread (it would wait for itself).
  void stop();

  // The bound ports (useful with port 0); valid after a successful start().
  uint16_t port() const;
  std::optional<uint16_t> admin_port() const;

private:
  struct state;
  std::unique_ptr<state> state_;
};

} // namespace ledgerflow
