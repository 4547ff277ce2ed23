// ledgerflow: one binary for the server and the client side a user needs.
#include <iostream>

#include <CLI/CLI.hpp>

#include "app/bench_command.hpp"
#include "app/commands.hpp"
#include "app/saga_options.hpp"
#include "app/watch_options.hpp"

using namespace ledgerflow;

namespace {

// Flags that override the config file and the environment, shared by several subcommands.
struct common_flags {
  std::string config_path;
  std::string listen, admin_listen, db, data_dir, node_id;
};

void add_storage_flags(CLI::App* command, common_flags& flags) {
  command->add_option("--config", flags.config_path, "TOML config file (env LEDGERFLOW_CONFIG)");
  command->add_option("--db", flags.db, "sqlite:PATH or postgresql://... (env LEDGERFLOW_DB)");
  command->add_option("--data-dir", flags.data_dir, "directory of the default SQLite file (env LEDGERFLOW_DATA_DIR)");
}

// defaults < file < environment < flags
int load(const common_flags& flags, app_config& config) {
  auto path = flags.config_path;
  if (path.empty())
    if (const char* from_env = std::getenv("LEDGERFLOW_CONFIG"))
      path = from_env;
  if (auto loaded = load_config_file(path, config); !loaded) {
    std::cerr << "ledgerflow: " << loaded.error().message << "\n";
    return 2;
  }
  if (auto loaded = load_config_environment(config); !loaded) {
    std::cerr << "ledgerflow: " << loaded.error().message << "\n";
    return 2;
  }
  auto apply = [](const std::string& flag, std::string& target) {
    if (!flag.empty())
      target = flag;
  };
  apply(flags.listen, config.listen);
  apply(flags.admin_listen, config.admin_listen);
  apply(flags.db, config.db);
  apply(flags.data_dir, config.data_dir);
  apply(flags.node_id, config.node_id);
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"ledgerflow: a realtime transaction orchestrator"};
  app.require_subcommand(1);
  common_flags flags;

  auto* serve = app.add_subcommand("serve", "run a node");
  add_storage_flags(serve, flags);
  serve->add_option("--listen", flags.listen, "HOST:PORT (env LEDGERFLOW_LISTEN, default 127.0.0.1:8080)");
  serve->add_option("--admin-listen", flags.admin_listen, "HOST:PORT for admin routes (env LEDGERFLOW_ADMIN_LISTEN)");
  serve->add_option("--node-id", flags.node_id, "this node's id (env LEDGERFLOW_NODE_ID)");

  token_claims claims;
  int64_t ttl_s = 3600;
  std::string role = "user";
  auto* token = app.add_subcommand("token", "mint a JWT signed with the configured secret");
  token->add_option("--config", flags.config_path, "TOML config file");
  token->add_option("--sub", claims.subject, "subject")->required();
  token->add_option("--account", claims.accounts, "an account the token may read (repeatable)");
  token->add_option("--role", role, "user or admin")->check(CLI::IsMember({"user", "admin"}));
  token->add_option("--ttl", ttl_s, "seconds until it expires")->check(CLI::Range(int64_t{1}, int64_t{31'536'000}));

  auto* check = app.add_subcommand("check", "verify the ledger; exit 0 when every invariant holds");
  add_storage_flags(check, flags);

  watch_options watch;
  auto* watch_command = app.add_subcommand("watch", "print every change of the accounts as JSON lines (WebSocket)");
  add_watch_flags(watch_command, watch);

  saga_options saga;
  auto* saga_command = app.add_subcommand("saga", "start, list, show, pause, resume, retry or abort sagas (REST client)");
  saga_command->add_option("--config", flags.config_path, "TOML config file (its secret signs the default admin token)");
  add_saga_flags(saga_command, saga);

  bench_options bench;
  auto* bench_command = app.add_subcommand("bench", "run a benchmark; prints one JSON object last on stdout");
  bench_command->require_subcommand(1);
  auto* bench_ledger = bench_command->add_subcommand("ledger", "durable transfers per second through the actors");
  add_storage_flags(bench_ledger, flags);
  add_bench_ledger_flags(bench_ledger, bench);
  journal_bench_options bench_journal_options;
  auto* bench_journal = bench_command->add_subcommand("journal", "journal appends per second on one thread, no actors");
  add_storage_flags(bench_journal, flags);
  add_bench_journal_flags(bench_journal, bench_journal_options);
  push_bench_options bench_push_options;
  auto* bench_push = bench_command->add_subcommand("push", "WebSocket fan-out: deliveries per second, latency, memory");
  add_bench_push_flags(bench_push, bench_push_options);
  provider_bench_options bench_providers_options;
  auto* bench_providers = bench_command->add_subcommand(
    "providers", "provider supervisor hot path: calls per second to a zero-latency sandbox, breaker decision ns");
  add_bench_providers_flags(bench_providers, bench_providers_options);
  saga_bench_options bench_sagas_options;
  auto* bench_sagas = bench_command->add_subcommand(
    "sagas", "durable sagas per second through the engine with zero-latency sandboxes, p50/p99 duration");
  add_storage_flags(bench_sagas, flags);
  add_bench_sagas_flags(bench_sagas, bench_sagas_options);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& failure) {
    auto code = app.exit(failure);
    return code != 0 && *saga_command ? saga_exit::usage : code;  // `saga` promises 2 on usage errors
  }

  if (*watch_command) // a client: the server's config does not concern it
    return run_watch(watch);

  app_config config;
  if (auto failed = load(flags, config))
    return failed;
  if (*serve)
    return run_serve(config);
  if (*token) {
    claims.role = role == "admin" ? token_role::admin : token_role::user;
    claims.expires_at_s = static_cast<int64_t>(std::time(nullptr)) + ttl_s;
    return run_token(config, claims);
  }
  if (*check)
    return run_check(config);
  if (*saga_command)
    return run_saga(config, saga);
  if (*bench_ledger)
    return run_bench_ledger(config, bench);
  if (*bench_journal)
    return run_bench_journal(config, bench_journal_options);
  if (*bench_push)
    return run_bench_push(bench_push_options);
  if (*bench_providers)
    return run_bench_providers(config, bench_providers_options);
  if (*bench_sagas)
    return run_bench_sagas(config, bench_sagas_options);
  return 1;
}
