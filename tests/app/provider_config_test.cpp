// The `[[providers]]` tables: every key read into its setting, defaults where a key is absent,
// and errors that name the provider and the key at fault.
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "app/app_config.hpp"
#include "app/provider_config.hpp"
#include "tests/support/temp_directory.hpp"

using namespace ledgerflow;

namespace {

// The providers of a config text; fails the test when it does not parse.
std::vector<provider_config> read_providers(const std::string& text) {
  auto table = toml::parse(text);
  std::vector<provider_config> providers;
  auto read = read_provider_configs(table, providers);
  REQUIRE_MESSAGE(read.has_value(), (read.has_value() ? "" : read.error().message));
  return providers;
}

// The error message a config text gets; fails the test when it is accepted.
std::string config_error(const std::string& text) {
  auto table = toml::parse(text);
  std::vector<provider_config> providers;
  auto read = read_provider_configs(table, providers);
  REQUIRE_FALSE(read.has_value());
  CHECK(read.error().code == error_code::bad_request);
  return read.error().message;
}

bool mentions(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// One sandbox provider "p" of kind payments, with `extra` lines in its table.
std::string provider_with(const std::string& extra) {
  return "[[providers]]\nname = \"p\"\nkind = \"payments\"\n" + extra + "\n";
}

} // namespace

TEST_CASE("an http provider is read with its retry and breaker tables") {
  auto providers = read_providers(R"(
[[providers]]
name = "rail-a"
kind = "payments"
type = "http"
base_url = "http://127.0.0.1:9/api"
auth_header = "X-Api-Key"
auth_value = "secret"
ca_file = "/etc/ssl/rail.pem"
connections_max = 4
workers = 8
queue_max = 32
timeout_ms = 1500
stuck_worker_grace_ms = 3000
execution = "inline"
[providers.retry]
attempts_max = 5
backoff_initial_ms = 50
backoff_max_ms = 800
backoff_multiplier = 3
jitter = false
[providers.breaker]
consecutive_failures_max = 3
failure_rate_percent = 40
slow_call_rate_percent = 80
slow_call_ms = 900
window = "time"
window_size = 30
minimum_calls = 4
open_wait_ms = 10000
half_open_probes = 2
)");
  REQUIRE(providers.size() == 1);
  const auto& provider = providers[0];
  CHECK(provider.kind == provider_kind::payments);
  CHECK(provider.type == "http");
  CHECK(provider.http.base_url == "http://127.0.0.1:9/api");
  CHECK(provider.http.auth_header == "X-Api-Key");
  CHECK(provider.http.auth_value == "secret");
  CHECK(provider.http.ca_file == "/etc/ssl/rail.pem");
  CHECK(provider.http.connections_max == 4);
  const auto& supervision = provider.supervision;
  CHECK(supervision.name == "rail-a");
  CHECK(supervision.workers == 8);
  CHECK(supervision.queue_max == 32);
  CHECK(supervision.timeout_ms == 1500);
  CHECK(supervision.stuck_worker_grace_ms == 3000);
  CHECK(supervision.inline_calls);
  CHECK(supervision.retry.attempts_max == 5);
  CHECK(supervision.retry.backoff_initial_ms == 50);
  CHECK(supervision.retry.backoff_max_ms == 800);
  CHECK(supervision.retry.backoff_multiplier == 3);
  CHECK_FALSE(supervision.retry.jitter);
  const auto& breaker = supervision.breaker;
  CHECK(breaker.consecutive_failures_max == 3);
  CHECK(breaker.failure_rate_percent == 40);
  CHECK(breaker.slow_call_rate_percent == 80);
  CHECK(breaker.slow_call_ms == 900);
  CHECK(breaker.window_type == breaker_window_type::time);
  CHECK(breaker.window_size == 30);
  CHECK(breaker.minimum_calls == 4);
  CHECK(breaker.open_wait_ms == 10000);
  CHECK(breaker.half_open_probes == 2);
}

TEST_CASE("a sandbox provider is read with its faults, outages and prices") {
  auto providers = read_providers(R"(
[[providers]]
name = "exchange-a"
kind = "exchange"
[providers.sandbox]
seed = 9
latency_ms = 5
latency_jitter_ms = 2
error_rate = 0.1
timeout_rate = 0
slow_rate = 1
slow_ms = 300
block_ms = 250
outages = [ { after_ms = 1000, duration_ms = 500, fault = "hang" },
            { after_ms = 3000, duration_ms = 100 },
            { after_ms = 5000, duration_ms = 10, fault = "slow" } ]
prices = [ { asset = "BTC", currency = "USD", price = "60000.00" } ]
)");
  REQUIRE(providers.size() == 1);
  const auto& sandbox = providers[0].sandbox;
  CHECK(providers[0].type == "sandbox");
  CHECK(providers[0].kind == provider_kind::exchange);
  CHECK(sandbox.kind == provider_kind::exchange);
  CHECK(sandbox.seed == 9);
  CHECK(sandbox.latency_ms == 5);
  CHECK(sandbox.latency_jitter_ms == 2);
  CHECK(sandbox.error_rate == doctest::Approx(0.1));
  CHECK(sandbox.timeout_rate == 0);
  CHECK(sandbox.slow_rate == 1);
  CHECK(sandbox.slow_ms == 300);
  CHECK(sandbox.block_ms == 250);
  REQUIRE(sandbox.outages.size() == 3);
  CHECK(sandbox.outages[0].after_ms == 1000);
  CHECK(sandbox.outages[0].duration_ms == 500);
  CHECK(sandbox.outages[0].fault == sandbox_fault::hang);
  CHECK(sandbox.outages[1].fault == sandbox_fault::error);  // the default fault
  CHECK(sandbox.outages[2].fault == sandbox_fault::slow);
  REQUIRE(sandbox.prices.size() == 1);  // the table replaces the default prices
  CHECK(sandbox.prices[0].asset == "BTC");
  CHECK(sandbox.prices[0].currency == "USD");
  CHECK(sandbox.prices[0].price == "60000.00");
}

TEST_CASE("absent keys keep the defaults, and providers keep their order") {
  auto providers = read_providers(R"(
[[providers]]
name = "chain-b"
kind = "chain"
[[providers]]
name = "chain-a"
kind = "chain"
)");
  REQUIRE(providers.size() == 2);
  CHECK(providers[0].supervision.name == "chain-b");
  CHECK(providers[1].supervision.name == "chain-a");
  const auto& provider = providers[0];
  const supervisor_settings defaults;
  const sandbox_settings sandbox_defaults;
  CHECK(provider.type == "sandbox");
  CHECK(provider.sandbox.kind == provider_kind::chain);
  CHECK(provider.supervision.workers == defaults.workers);
  CHECK(provider.supervision.queue_max == defaults.queue_max);
  CHECK(provider.supervision.timeout_ms == defaults.timeout_ms);
  CHECK_FALSE(provider.supervision.inline_calls);
  CHECK(provider.supervision.retry.attempts_max == defaults.retry.attempts_max);
  CHECK(provider.supervision.retry.jitter);
  CHECK(provider.supervision.breaker.consecutive_failures_max == 5);
  CHECK(provider.supervision.breaker.failure_rate_percent == 50);
  CHECK(provider.supervision.breaker.open_wait_ms == 60'000);
  CHECK(provider.supervision.breaker.window_type == breaker_window_type::count);
  CHECK(provider.sandbox.seed == sandbox_defaults.seed);
  CHECK(provider.sandbox.error_rate == 0);
  CHECK(provider.sandbox.outages.empty());
  CHECK(provider.sandbox.prices.size() == sandbox_defaults.prices.size());
  CHECK(provider.sandbox.block_ms == sandbox_defaults.block_ms);

  CHECK(read_providers("listen = \"127.0.0.1:1\"\n").empty());  // no [[providers]] at all
}

TEST_CASE("an unknown kind, type or execution is refused, naming the provider and the key") {
  auto kind = config_error("[[providers]]\nname = \"p\"\nkind = \"bank\"\n");
  CHECK(mentions(kind, "\"p\""));
  CHECK(mentions(kind, "kind"));
  auto missing_kind = config_error("[[providers]]\nname = \"p\"\n");
  CHECK(mentions(missing_kind, "kind"));
  auto type = config_error(provider_with("type = \"grpc\""));
  CHECK(mentions(type, "\"p\""));
  CHECK(mentions(type, "type"));
  auto execution = config_error(provider_with("execution = \"threads\""));
  CHECK(mentions(execution, "\"p\""));
  CHECK(mentions(execution, "execution"));
  auto fault = config_error(provider_with("[providers.sandbox]\noutages = [ { after_ms = 1, fault = \"explode\" } ]"));
  CHECK(mentions(fault, "\"p\""));
  CHECK(mentions(fault, "fault"));
  auto window = config_error(provider_with("[providers.breaker]\nwindow = \"forever\""));
  CHECK(mentions(window, "breaker.window"));
}

TEST_CASE("a provider without a name, or two with one name, are refused") {
  auto nameless = config_error("[[providers]]\nkind = \"payments\"\n");
  CHECK(mentions(nameless, "providers[0]"));
  CHECK(mentions(nameless, "name"));
  auto second_nameless = config_error(provider_with("") + "[[providers]]\nkind = \"payments\"\n");
  CHECK(mentions(second_nameless, "providers[1]"));
  auto twice = config_error(provider_with("") + "[[providers]]\nname = \"p\"\nkind = \"exchange\"\n");
  CHECK(mentions(twice, "\"p\""));
  CHECK(mentions(config_error("providers = \"all\"\n"), "[[providers]]"));
}

TEST_CASE("an http provider needs base_url") {
  auto error = config_error(provider_with("type = \"http\"\nauth_value = \"x\""));
  CHECK(mentions(error, "\"p\""));
  CHECK(mentions(error, "base_url"));
}

TEST_CASE("a value of the wrong type or out of range is refused, naming the key") {
  auto workers = config_error(provider_with("workers = \"eight\""));
  CHECK(mentions(workers, "\"p\".workers"));
  CHECK(mentions(workers, "wrong type"));
  CHECK(mentions(config_error(provider_with("workers = true")), "\"p\".workers"));  // not 1
  CHECK(mentions(config_error(provider_with("timeout_ms = 1500.0")), "\"p\".timeout_ms"));
  auto jitter = config_error(provider_with("[providers.retry]\njitter = 1"));  // not true
  CHECK(mentions(jitter, "\"p\".retry.jitter"));
  auto window_size_type = config_error(provider_with("[providers.breaker]\nwindow_size = 1.5"));
  CHECK(mentions(window_size_type, "\"p\".breaker.window_size"));
  auto negative = config_error(provider_with("timeout_ms = -5"));
  CHECK(mentions(negative, "\"p\".timeout_ms"));
  CHECK(mentions(config_error(provider_with("timeout_ms = 0")), "timeout_ms"));
  CHECK(mentions(config_error(provider_with("workers = 0")), "\"p\".workers"));
  CHECK(mentions(config_error(provider_with("workers = 100000")), "\"p\".workers"));
  // 2^32 + 1 must not wrap around to one worker.
  CHECK(mentions(config_error(provider_with("workers = 4294967297")), "\"p\".workers"));
  CHECK(mentions(config_error(provider_with("[providers.sandbox]\nlatency_ms = 4294967296")), "latency_ms"));
  auto window_size = config_error(provider_with("[providers.breaker]\nwindow_size = 0"));
  CHECK(mentions(window_size, "\"p\".breaker.window_size"));
  // Limits the supervisor would otherwise clamp silently.
  CHECK(mentions(config_error(provider_with("queue_max = 2000000")), "\"p\".queue_max"));
  CHECK(mentions(config_error(provider_with("[providers.retry]\nattempts_max = 0")), "\"p\".retry.attempts_max"));
  CHECK(mentions(config_error(provider_with("[providers.retry]\nattempts_max = 101")), "retry.attempts_max"));
  CHECK(mentions(config_error(provider_with("[providers.breaker]\nfailure_rate_percent = 150")),
                 "\"p\".breaker.failure_rate_percent"));
  CHECK(mentions(config_error(provider_with("[providers.breaker]\nslow_call_rate_percent = 101")),
                 "breaker.slow_call_rate_percent"));
  CHECK(mentions(config_error(provider_with("[providers.breaker]\nhalf_open_probes = 0")), "breaker.half_open_probes"));
  auto price = config_error(provider_with("[providers.sandbox]\nprices = [ { asset = \"BTC\", currency = \"USD\" } ]"));
  CHECK(mentions(price, "\"p\""));
  CHECK(mentions(price, "price"));
}

TEST_CASE("fault rates outside 0..1 are refused, naming the rate") {
  for (const char* line : {"error_rate = 1.5", "timeout_rate = -0.1", "slow_rate = 2"}) {
    CAPTURE(line);
    auto error = config_error(provider_with(std::string("[providers.sandbox]\n") + line));
    CHECK(mentions(error, "\"p\""));
    CHECK(mentions(error, std::string(line).substr(0, std::string(line).find(' '))));
  }
  auto edges = read_providers(provider_with("[providers.sandbox]\nerror_rate = 0\ntimeout_rate = 1.0"));
  CHECK(edges[0].sandbox.timeout_rate == 1.0);
}

TEST_CASE("auth_value_env reads the secret from the environment and names a variable that is not set") {
  const char* variable = "LEDGERFLOW_TEST_PROVIDER_SECRET_4711";
  ::unsetenv(variable);
  auto http = std::string("type = \"http\"\nbase_url = \"http://127.0.0.1:9\"\nauth_value_env = \"") + variable + "\"";
  auto error = config_error(provider_with(http));
  CHECK(mentions(error, "\"p\""));
  CHECK(mentions(error, "auth_value_env"));
  CHECK(mentions(error, variable));
  ::setenv(variable, "Bearer from-env", 1);
  auto providers = read_providers(provider_with(http));
  ::unsetenv(variable);
  CHECK(providers[0].http.auth_value == "Bearer from-env");
}

TEST_CASE("a provider error in a config file names the file too") {
  testing::temp_directory directory;
  auto path = directory.file("ledgerflow.toml");
  std::ofstream(path) << provider_with("workers = \"many\"");
  app_config config;
  auto loaded = load_config_file(path, config);
  REQUIRE_FALSE(loaded.has_value());
  CHECK(mentions(loaded.error().message, path));
  CHECK(mentions(loaded.error().message, "\"p\".workers"));
}

TEST_CASE("add_default_sandboxes adds a sandbox for exactly the kinds left without a provider") {
  auto providers = read_providers(R"(
[[providers]]
name = "rail"
kind = "payments"
type = "http"
base_url = "http://127.0.0.1:9"
[[providers]]
name = "chain-x"
kind = "chain"
)");
  add_default_sandboxes(providers);
  REQUIRE(providers.size() == 4);
  CHECK(providers[0].supervision.name == "rail");
  CHECK(providers[1].supervision.name == "chain-x");
  CHECK(providers[2].supervision.name == "sandbox-exchange");
  CHECK(providers[2].kind == provider_kind::exchange);
  CHECK(providers[2].sandbox.kind == provider_kind::exchange);
  CHECK(providers[2].type == "sandbox");
  CHECK(providers[3].supervision.name == "sandbox-defi");
  CHECK(providers[3].kind == provider_kind::defi);
  add_default_sandboxes(providers);
  CHECK(providers.size() == 4);  // nothing is missing any more

  std::vector<provider_config> none;
  add_default_sandboxes(none);
  REQUIRE(none.size() == 4);
  CHECK(none[0].supervision.name == "sandbox-payments");
  CHECK(none[1].supervision.name == "sandbox-exchange");
  CHECK(none[2].supervision.name == "sandbox-chain");
  CHECK(none[3].supervision.name == "sandbox-defi");
  for (const auto& provider : none)
    CHECK(provider.sandbox.kind == provider.kind);
}
