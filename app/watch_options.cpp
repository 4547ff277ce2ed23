#include "app/watch_options.hpp"

namespace ledgerflow {

void add_watch_flags(CLI::App* command, watch_options& options) {
  command->add_option("--url", options.url, "ws://HOST:PORT/v1/ws or wss://... (a bare ws://HOST:PORT means /v1/ws)")
    ->required();
  command->add_option("--token", options.token, "JWT sent as Authorization: Bearer (env LEDGERFLOW_TOKEN)")
    ->envname("LEDGERFLOW_TOKEN")
    ->required();
  command->add_option("accounts", options.accounts, "account ids to watch, e.g. user:alice")
    ->required()
    ->expected(1, static_cast<int>(watch_limits::accounts_max));
  command->add_option_function<uint64_t>(
    "--since-seq", [&options](const uint64_t& seq) { options.since_seq = seq; },
    "replay every account's changes after this seq before going live");
  command->add_option_function<uint64_t>(
    "--count", [&options](const uint64_t& count) { options.balance_events_max = count; },
    "exit 0 once this many balance events are printed")
    ->check(CLI::Range(uint64_t{1}, uint64_t{1'000'000'000}));
  command->add_option_function<uint64_t>(
    "--timeout-ms", [&options](const uint64_t& timeout) { options.timeout_ms = timeout; },
    "exit 3 when the watch is not done (see --count) within this many milliseconds")
    ->check(CLI::Range(uint64_t{1}, uint64_t{365} * 24 * 3600 * 1000));
  command->add_flag("--msgpack", options.msgpack,
                    "offer subprotocol ledgerflow.v1.msgpack; binary frames are printed as JSON lines");
  auto* ca_file = command->add_option("--cafile", options.ca_file, "PEM file of the CA (or self-signed certificate) to trust for wss://")
    ->check(CLI::ExistingFile);
  command->add_flag("--insecure", options.insecure, "wss:// without verifying the server's certificate")
    ->excludes(ca_file);
}

} // namespace ledgerflow
