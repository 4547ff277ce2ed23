#include "app/saga_options.hpp"

namespace ledgerflow {

void add_saga_flags(CLI::App* command, saga_options& options) {
  command->require_subcommand(1);
  command->add_option("--url", options.url, "http://HOST:PORT of the server (env LEDGERFLOW_URL, default http://127.0.0.1:8080)")
    ->envname("LEDGERFLOW_URL");
  command->add_option("--token", options.token,
                      "JWT (env LEDGERFLOW_TOKEN; default: an admin token signed with the configured secret)")
    ->envname("LEDGERFLOW_TOKEN");
  auto chosen = [&options](const char* name) { return [&options, name]() { options.operation = name; }; };

  // --url and --token may come after the subcommand too.
  command->fallthrough();

  auto* start = command->add_subcommand("start", "start a saga; prints its document");
  start->add_option("type", options.type, "deposit_to_invest or invest_to_defi")->required();
  start->add_option("--param", options.params, "KEY=VALUE (repeatable), e.g. --param account=user:alice")
    ->required();
  start->add_option("--idempotency-key", options.idempotency_key, "default: a random key, printed to stderr");
  start->final_callback(chosen("start"));

  auto* list = command->add_subcommand("list", "list sagas (admin), one JSON document per line");
  list->add_option("--state", options.state, "running, waiting, paused, compensating, completed, compensated or failed");
  list->add_option("--type", options.saga_type, "saga type");
  list->add_option("--account", options.account, "account id");
  list->add_option("--limit", options.limit, "at most this many (1..1000, default 100)")
    ->check(CLI::Range(uint64_t{1}, uint64_t{1000}));
  list->final_callback(chosen("list"));

  auto* show = command->add_subcommand("show", "print one saga's document");
  show->add_option("id", options.id, "saga id")->required();
  show->final_callback(chosen("show"));

  for (const char* action : {"pause", "resume", "retry", "abort"}) {
    auto* steer = command->add_subcommand(action, std::string(action) + " one saga (admin); prints its document");
    steer->add_option("id", options.id, "saga id")->required();
    steer->final_callback(chosen(action));
  }
}

} // namespace ledgerflow
