#include "app/app_config.hpp"
#include "app/saga_config.hpp"

#include <algorithm>
#include <cstdlib>
#include <thread>

#include <toml++/toml.h>

namespace ledgerflow {

size_t default_actor_threads() {
  auto cores = static_cast<size_t>(std::thread::hardware_concurrency());
  return std::max<size_t>(1, cores > 0 ? cores - 1 : 1);
}

std::string app_config::database_url() const {
  return db.empty() ? "sqlite:" + data_dir + "/ledgerflow.db" : db;
}

const std::string& app_config::effective_jwt_secret() const {
  static const std::string development = development_jwt_secret;
  return jwt_secret.empty() ? development : jwt_secret;
}

namespace {

template <class T>
void read_key(const toml::table& table, std::string_view path, T& target) {
  if (auto value = table.at_path(path).value<T>())
    target = *value;
}

void read_size(const toml::table& table, std::string_view path, size_t& target) {
  if (auto value = table.at_path(path).value<int64_t>(); value && *value >= 0)
    target = static_cast<size_t>(*value);
}

void read_websocket(const toml::table& table, websocket_config& ws) {
  if (auto* origins = table.at_path("websocket.allowed_origins").as_array()) {
    ws.allowed_origins.clear();
    for (const auto& origin : *origins)
      if (auto text = origin.value<std::string>())
        ws.allowed_origins.push_back(*text);
  }
  read_size(table, "websocket.message_bytes_max", ws.message_bytes_max);
  read_size(table, "websocket.subscriptions_max", ws.subscriptions_max);
  read_size(table, "websocket.connections_per_ip_max", ws.connections_per_ip_max);
  read_size(table, "websocket.connections_per_subject_max", ws.connections_per_subject_max);
  read_key(table, "websocket.messages_per_second", ws.messages_per_second);
  read_key(table, "websocket.idle_timeout_ms", ws.idle_timeout_ms);
  read_key(table, "websocket.ping_interval_ms", ws.ping_interval_ms);
  read_size(table, "websocket.send_queue_frames_max", ws.send_queue_frames_max);
  read_key(table, "websocket.behind_close_ms", ws.behind_close_ms);
}

status read_assets(const toml::table& table, app_config& config) {
  auto* assets = table.at_path("assets").as_table();
  if (!assets)
    return done{};
  for (const auto& [code, decimals] : *assets) {
    auto value = decimals.value<int64_t>();
    if (!value)
      return make_error(error_code::bad_request, "assets." + std::string(code.str()) + " must be an integer (decimals)");
    if (auto added = config.assets.add(std::string(code.str()), static_cast<int>(*value)); !added)
      return added;
  }
  return done{};
}

} // namespace

status load_config_file(const std::string& path, app_config& config) {
  if (path.empty())
    return done{};
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& failure) {
    return make_error(error_code::bad_request, "config " + path + ": " + std::string(failure.description()));
  }
  read_key(table, "listen", config.listen);
  read_key(table, "admin_listen", config.admin_listen);
  read_key(table, "db", config.db);
  read_key(table, "data_dir", config.data_dir);
  read_key(table, "node_id", config.node_id);
  read_key(table, "jwt_secret", config.jwt_secret);
  read_key(table, "log.level", config.log_level);
  read_key(table, "log.json", config.log_json);
  read_size(table, "threads.io", config.io_threads);
  read_key(table, "drain_timeout_ms", config.drain_timeout_ms);
  read_size(table, "threads.actors", config.caf_threads);
  read_size(table, "connections_max", config.connections_max);
  read_websocket(table, config.websocket);
  read_key(table, "tls.certificate", config.tls_certificate);
  read_key(table, "tls.private_key", config.tls_private_key);
  if (auto providers = read_provider_configs(table, config.providers); !providers)
    return make_error(error_code::bad_request, "config " + path + ": " + providers.error().message);
  if (auto sagas = read_saga_settings(table, config.sagas); !sagas)
    return make_error(error_code::bad_request, "config " + path + ": " + sagas.error().message);
  read_size(table, "ledger.batch_entries_max", config.ledger.batch_entries_max);
  read_size(table, "ledger.registry_shards", config.ledger.registry_shards);
  read_size(table, "ledger.idempotency_shards", config.ledger.idempotency_shards);
  read_key(table, "ledger.snapshot_every_entries", config.ledger.snapshot_every_entries);
  read_key(table, "ledger.account_idle_passivate_ms", config.ledger.account_idle_passivate_ms);
  read_key(table, "ledger.command_timeout_ms", config.ledger.command_timeout_ms);
  read_size(table, "storage.sqlite.index_merge_rows", config.sqlite.index_merge_rows);
  read_size(table, "storage.sqlite.idempotency_filter_keys", config.sqlite.idempotency_filter_keys);
  read_size(table, "storage.sqlite.key_run_fan_in", config.sqlite.key_run_fan_in);
  read_size(table, "storage.sqlite.key_run_slice_keys", config.sqlite.key_run_slice_keys);
  read_key(table, "storage.sqlite.index_merge_background", config.sqlite.index_merge_background);
  read_size(table, "storage.sqlite.index_merge_chunk_rows", config.sqlite.index_merge_chunk_rows);
  read_size(table, "storage.sqlite.unmerged_rows_max", config.sqlite.unmerged_rows_max);
  read_size(table, "storage.sqlite.cache_kib", config.sqlite.writer_cache_kib);
  std::string synchronous;
  read_key(table, "storage.sqlite.synchronous", synchronous);
  if (!synchronous.empty() && !sqlite_synchronous_from_string(synchronous, config.sqlite.synchronous))
    return make_error(error_code::bad_request, "config " + path + ": storage.sqlite.synchronous must be off, normal, full or extra");
  return read_assets(table, config);
}

status load_config_environment(app_config& config) {
  auto read = [](const char* name, std::string& target) {
    if (const char* value = std::getenv(name); value && *value)
      target = value;
  };
  read("LEDGERFLOW_LISTEN", config.listen);
  read("LEDGERFLOW_ADMIN_LISTEN", config.admin_listen);
  read("LEDGERFLOW_DB", config.db);
  read("LEDGERFLOW_DATA_DIR", config.data_dir);
  read("LEDGERFLOW_NODE_ID", config.node_id);
  read("LEDGERFLOW_JWT_SECRET", config.jwt_secret);
  read("LEDGERFLOW_LOG_LEVEL", config.log_level);
  std::string log_json;
  read("LEDGERFLOW_LOG_JSON", log_json);
  if (!log_json.empty())
    config.log_json = log_json == "1" || log_json == "true";
  read("LEDGERFLOW_TLS_CERTIFICATE", config.tls_certificate);
  read("LEDGERFLOW_TLS_PRIVATE_KEY", config.tls_private_key);
  std::string origins;
  read("LEDGERFLOW_WS_ALLOWED_ORIGINS", origins);  // comma-separated
  if (!origins.empty()) {
    config.websocket.allowed_origins.clear();
    for (size_t start = 0; start <= origins.size();) {
      auto comma = std::min(origins.find(',', start), origins.size());
      if (comma > start)
        config.websocket.allowed_origins.push_back(origins.substr(start, comma - start));
      start = comma + 1;
    }
  }
  std::string synchronous;
  read("LEDGERFLOW_SQLITE_SYNCHRONOUS", synchronous);
  if (!synchronous.empty() && !sqlite_synchronous_from_string(synchronous, config.sqlite.synchronous))
    return make_error(error_code::bad_request, "LEDGERFLOW_SQLITE_SYNCHRONOUS must be off, normal, full or extra");
  return done{};
}

outcome<listen_address> parse_listen_address(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    return make_error(error_code::bad_request, "listen address must be HOST:PORT, got \"" + text + "\"");
  char* end = nullptr;
  auto port = std::strtol(text.c_str() + colon + 1, &end, 10);
  if (*end != '\0' || port < 0 || port > 65535)
    return make_error(error_code::bad_request, "listen port must be 0..65535, got \"" + text + "\"");
  return listen_address{text.substr(0, colon), static_cast<uint16_t>(port)};
}

outcome<gateway_config> make_gateway_config(const app_config& config) {
  gateway_config gateway;
  auto listen = parse_listen_address(config.listen);
  if (!listen)
    return listen.error();
  gateway.listen = *listen;
  if (!config.admin_listen.empty()) {
    auto admin = parse_listen_address(config.admin_listen);
    if (!admin)
      return admin.error();
    gateway.admin_listen = *admin;
  }
  gateway.jwt_secret = config.effective_jwt_secret();
  gateway.io_threads = config.io_threads;
  gateway.drain_timeout_ms = config.drain_timeout_ms;
  gateway.connections_max = config.connections_max;
  gateway.websocket = config.websocket;
  gateway.tls_certificate_file = config.tls_certificate;
  gateway.tls_private_key_file = config.tls_private_key;
  gateway.ledger_timeout_ms = config.ledger.command_timeout_ms;
  return gateway;
}

} // namespace ledgerflow
