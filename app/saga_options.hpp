// `ledgerflow saga`: its subcommands and flags (a REST client of /v1/sagas).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace ledgerflow {

struct saga_options {
  std::string url;        // http://HOST:PORT (flag, LEDGERFLOW_URL, or http://127.0.0.1:8080)
  std::string token;      // JWT (flag or LEDGERFLOW_TOKEN); empty: an admin token is minted
  std::string operation;  // start | list | show | pause | resume | retry | abort
  // start
  std::string type;
  std::vector<std::string> params;  // KEY=VALUE
  std::string idempotency_key;      // empty: a random one, printed to stderr
  // list
  std::string state, saga_type, account;
  uint64_t limit = 0;  // 0: the server's default
  // show and the steering operations
  std::string id;
};

// Exit codes of `ledgerflow saga`.
namespace saga_exit {
constexpr int done = 0;    // the server answered 2xx
constexpr int failed = 1;  // an error answer (code and message on stderr) or no answer
constexpr int usage = 2;   // bad flags or arguments
} // namespace saga_exit

// Adds the subcommands of `saga` to `command`; the chosen one lands in options.operation.
void add_saga_flags(CLI::App* command, saga_options& options);

} // namespace ledgerflow
