// `ledgerflow serve`: storage, the ledger actors, the HTTP gateway; stops cleanly on SIGINT
// or SIGTERM (stop accepting, let in-flight work finish, flush the journal).
#include <csignal>
#include <filesystem>
#include <iostream>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <spdlog/spdlog.h>

#include "actors/ledger_service.hpp"
#include "actors/providers/provider_service.hpp"
#include "app/commands.hpp"
#include "app/journal_factory.hpp"
#include "app/logging.hpp"
#include "gateway/http_server.hpp"
#include "sagas/saga_service.hpp"

namespace ledgerflow {

namespace {

// Blocks SIGINT and SIGTERM in every thread started after this, so the main thread alone
// receives them through sigwait.
sigset_t block_stop_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

int serve(const app_config& config, caf::actor_system& system, const sigset_t& stop_signals) {
  auto gateway = make_gateway_config(config);
  if (!gateway) {
    spdlog::error("cannot start: {}", gateway.error().message);
    return 2;
  }
  std::shared_ptr<journal> store;
  try {
    if (config.db.empty())
      std::filesystem::create_directories(config.data_dir);
    store = open_journal(config.database_url(), config);
  } catch (const std::exception& failure) {
    spdlog::error("cannot open the database {}: {}", config.database_url(), failure.what());
    return 2;
  }
  auto time = std::make_shared<system_clock>();
  ledger_service ledger(system, store, config.assets, config.ledger, time);
  if (auto started = ledger.start(); !started) {
    spdlog::error("cannot start the ledger: {}", started.error().message);
    return 2;
  }
  auto provider_configs = config.providers;
  add_default_sandboxes(provider_configs);
  auto provider_entries = make_provider_entries(provider_configs, config.assets);
  if (!provider_entries) {
    spdlog::error("cannot start the providers: {}", provider_entries.error().message);
    ledger.stop();
    return 2;
  }
  provider_service providers(system, std::move(*provider_entries));
  for (const auto& provider : providers.statuses())
    spdlog::info("provider {}: {} ({})", provider.name, to_string(provider.kind), provider.type);
  // Sagas resume before the listener opens, so a client never sees one half recovered.
  saga_service sagas(system, ledger, providers, store, config.sagas, time);
  if (auto started = sagas.start(); !started) {
    spdlog::error("cannot start the saga engine: {}", started.error().message);
    providers.stop();
    ledger.stop();
    return 2;
  }
  http_server server(*gateway, ledger, system_unix_seconds, &providers, &sagas);
  if (auto started = server.start(); !started) {
    spdlog::error("cannot start: {}", started.error().message);
    sagas.stop();
    providers.stop();
    ledger.stop();
    return 2;
  }
  spdlog::info("storage {} ready; node {}", config.database_url(), config.node_id);
  if (config.uses_development_secret())
    spdlog::warn("using the DEVELOPMENT JWT secret; set LEDGERFLOW_JWT_SECRET (or jwt_secret in the config) for real use");
  spdlog::info("listening on {}:{}", gateway->listen.host, server.port());
  if (gateway->admin_listen)
    spdlog::info("admin listening on {}:{}", gateway->admin_listen->host, *server.admin_port());
  int received = 0;
  sigwait(&stop_signals, &received);
  spdlog::info("signal {} received: shutting down", received);
  server.stop();
  sagas.stop();
  providers.stop();
  ledger.stop();
  spdlog::info("stopped cleanly");
  return 0;
}

} // namespace

int run_serve(const app_config& config) {
  configure_logging(config);
  auto stop_signals = block_stop_signals();
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", config.caf_threads);
  caf::actor_system system{cfg};
  return serve(config, system, stop_signals);
}

} // namespace ledgerflow
