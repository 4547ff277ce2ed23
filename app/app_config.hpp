// Every setting of the binary. Precedence: defaults < TOML file < environment < flags.
// Each flag has a LEDGERFLOW_* variable and a TOML key (see docs/configuration.md).
#pragma once

#include <string>

#include "actors/ledger_config.hpp"
#include "app/provider_config.hpp"
#include "sagas/saga_settings.hpp"
#include "gateway/gateway_config.hpp"
#include "persistence/sqlite/sqlite_options.hpp"
#include "protocols/asset_registry.hpp"
#include "protocols/outcome.hpp"

namespace ledgerflow {

// Used when no secret is configured; `serve` says so loudly. Never use it in production.
inline constexpr const char* development_jwt_secret = "ledgerflow-development-secret-do-not-use-in-production";

// One scheduler thread per core but one: the journal writer keeps a core busy by itself. On
// 2 cores, eleven alternated pairs of `bench ledger` ran faster with 1 scheduler thread than
// with 2 (e.g. median 69.7k against 63.1k transfers/s, 22 against 25 µs of CPU a transfer):
// two scheduler threads beside the writer hand work across cores, and wake-ups cost.
size_t default_actor_threads();

struct app_config {
  std::string listen = "127.0.0.1:8080";
  std::string admin_listen;  // empty: admin routes on `listen`
  std::string db;            // empty: sqlite:<data_dir>/ledgerflow.db
  std::string data_dir = "./data";
  std::string node_id = "node-1";
  std::string jwt_secret;    // empty: the development secret
  std::string log_level = "info";
  bool log_json = false;
  size_t io_threads = 2;
  uint32_t drain_timeout_ms = limits::http_drain_ms;  // how long stop waits for in-flight requests
  size_t connections_max = limits::http_connections_max;  // HTTP and WebSocket, per listener
  websocket_config websocket;
  std::string tls_certificate;  // PEM paths; both set: the listener speaks TLS only
  std::string tls_private_key;
  // Scheduler threads, besides the journal writer's and the index merger's own threads.
  size_t caf_threads = default_actor_threads();
  asset_registry assets = asset_registry::defaults();
  ledger_config ledger;
  sqlite_options sqlite;
  // `[[providers]]`; serve adds a sandbox for each kind left without one (add_default_sandboxes).
  std::vector<provider_config> providers;
  saga_settings sagas;  // `[sagas]`

  std::string database_url() const;
  const std::string& effective_jwt_secret() const;
  bool uses_development_secret() const { return jwt_secret.empty(); }
};

// Reads the TOML file when `path` is not empty; errors name the file and key.
status load_config_file(const std::string& path, app_config& config);
// Applies LEDGERFLOW_* variables.
status load_config_environment(app_config& config);

// "host:port" → listen_address; the port must be 0..65535.
outcome<listen_address> parse_listen_address(const std::string& text);
// Gateway settings derived from the app's.
outcome<gateway_config> make_gateway_config(const app_config& config);

} // namespace ledgerflow
