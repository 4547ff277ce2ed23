#include "app/provider_config.hpp"

#include <cstdlib>
#include <limits>
#include <set>

#include "providers/sandbox/sandbox_provider.hpp"

namespace ledgerflow {

namespace {

// Reads `key` into `target` when present; a value of the wrong type is an error, and so is an
// integer the target cannot hold (it would wrap: workers = 4294967297 would mean 1).
template <class T, class Target>
status read_value(const toml::table& table, std::string_view key, Target& target, const std::string& where) {
  const auto* node = table.get(key);
  if (node == nullptr)
    return done{};
  // toml++'s value<T>() is permissive (true reads as 1, 1 as true, 25.0 as 25); only a rate
  // (a double) may be written as an integer.
  bool exact_type = true;
  if constexpr (std::is_same_v<T, bool>)
    exact_type = node->is_boolean();
  else if constexpr (std::is_same_v<T, int64_t>)
    exact_type = node->is_integer();
  auto value = node->value<T>();
  if (!value || !exact_type)
    return make_error(error_code::bad_request, where + "." + std::string(key) + " has the wrong type");
  if constexpr (std::is_unsigned_v<Target> && !std::is_same_v<Target, bool>) {
    if (*value < 0)
      return make_error(error_code::bad_request, where + "." + std::string(key) + " must not be negative");
    if (static_cast<uint64_t>(*value) > std::numeric_limits<Target>::max())
      return make_error(error_code::bad_request, where + "." + std::string(key) + " is too large");
  }
  target = static_cast<Target>(*value);
  return done{};
}

#define LF_READ(type, table, key, target, where)                                   \
  if (auto read = read_value<type>(table, key, target, where); !read.has_value()) \
    return read;

status read_retry(const toml::table& table, retry_settings& retry, const std::string& where) {
  LF_READ(int64_t, table, "attempts_max", retry.attempts_max, where)
  LF_READ(int64_t, table, "backoff_initial_ms", retry.backoff_initial_ms, where)
  LF_READ(int64_t, table, "backoff_max_ms", retry.backoff_max_ms, where)
  LF_READ(int64_t, table, "backoff_multiplier", retry.backoff_multiplier, where)
  LF_READ(bool, table, "jitter", retry.jitter, where)
  if (retry.attempts_max == 0 || retry.attempts_max > provider_attempts_max)
    return make_error(error_code::bad_request, where + ".attempts_max must be 1.." + std::to_string(provider_attempts_max));
  return done{};
}

status read_breaker(const toml::table& table, breaker_settings& breaker, const std::string& where) {
  LF_READ(int64_t, table, "consecutive_failures_max", breaker.consecutive_failures_max, where)
  LF_READ(int64_t, table, "failure_rate_percent", breaker.failure_rate_percent, where)
  LF_READ(int64_t, table, "slow_call_rate_percent", breaker.slow_call_rate_percent, where)
  LF_READ(int64_t, table, "slow_call_ms", breaker.slow_call_ms, where)
  LF_READ(int64_t, table, "window_size", breaker.window_size, where)
  LF_READ(int64_t, table, "minimum_calls", breaker.minimum_calls, where)
  LF_READ(int64_t, table, "open_wait_ms", breaker.open_wait_ms, where)
  LF_READ(int64_t, table, "half_open_probes", breaker.half_open_probes, where)
  std::string window = breaker.window_type == breaker_window_type::count ? "count" : "time";
  LF_READ(std::string, table, "window", window, where)
  if (window != "count" && window != "time")
    return make_error(error_code::bad_request, where + ".window must be \"count\" or \"time\"");
  breaker.window_type = window == "count" ? breaker_window_type::count : breaker_window_type::time;
  if (breaker.window_size == 0 || breaker.window_size > breaker_window_size_max)
    return make_error(error_code::bad_request, where + ".window_size must be 1.." + std::to_string(breaker_window_size_max));
  // Above 100 a rate rule would silently never trip; 0 turns it off.
  if (breaker.failure_rate_percent > 100)
    return make_error(error_code::bad_request, where + ".failure_rate_percent must be 0..100 (0: off)");
  if (breaker.slow_call_rate_percent > 100)
    return make_error(error_code::bad_request, where + ".slow_call_rate_percent must be 0..100 (0: off)");
  if (breaker.half_open_probes == 0 || breaker.half_open_probes > breaker_half_open_probes_max)
    return make_error(error_code::bad_request,
                      where + ".half_open_probes must be 1.." + std::to_string(breaker_half_open_probes_max));
  return done{};
}

status read_outages(const toml::array& outages, sandbox_settings& sandbox, const std::string& where) {
  sandbox.outages.clear();
  for (const auto& node : outages) {
    const auto* outage_table = node.as_table();
    if (outage_table == nullptr)
      return make_error(error_code::bad_request, where + ".outages must hold tables");
    sandbox_outage outage;
    std::string fault = "error";
    LF_READ(int64_t, *outage_table, "after_ms", outage.after_ms, where + ".outages")
    LF_READ(int64_t, *outage_table, "duration_ms", outage.duration_ms, where + ".outages")
    LF_READ(std::string, *outage_table, "fault", fault, where + ".outages")
    if (fault == "error") outage.fault = sandbox_fault::error;
    else if (fault == "hang") outage.fault = sandbox_fault::hang;
    else if (fault == "slow") outage.fault = sandbox_fault::slow;
    else return make_error(error_code::bad_request, where + ".outages: fault must be error, hang or slow");
    sandbox.outages.push_back(outage);
  }
  return done{};
}

status read_prices(const toml::array& prices, sandbox_settings& sandbox, const std::string& where) {
  sandbox.prices.clear();
  for (const auto& node : prices) {
    const auto* price_table = node.as_table();
    sandbox_price price;
    if (price_table == nullptr)
      return make_error(error_code::bad_request, where + ".prices must hold tables");
    LF_READ(std::string, *price_table, "asset", price.asset, where + ".prices")
    LF_READ(std::string, *price_table, "currency", price.currency, where + ".prices")
    LF_READ(std::string, *price_table, "price", price.price, where + ".prices")
    if (price.asset.empty() || price.currency.empty() || price.price.empty())
      return make_error(error_code::bad_request, where + ".prices: each needs asset, currency and price");
    sandbox.prices.push_back(price);
  }
  return done{};
}

status read_sandbox(const toml::table& table, sandbox_settings& sandbox, const std::string& where) {
  LF_READ(int64_t, table, "seed", sandbox.seed, where)
  LF_READ(int64_t, table, "latency_ms", sandbox.latency_ms, where)
  LF_READ(int64_t, table, "latency_jitter_ms", sandbox.latency_jitter_ms, where)
  LF_READ(double, table, "error_rate", sandbox.error_rate, where)
  LF_READ(double, table, "timeout_rate", sandbox.timeout_rate, where)
  LF_READ(double, table, "slow_rate", sandbox.slow_rate, where)
  LF_READ(int64_t, table, "slow_ms", sandbox.slow_ms, where)
  LF_READ(int64_t, table, "block_ms", sandbox.block_ms, where)
  for (auto [key, rate] : {std::pair{"error_rate", sandbox.error_rate}, std::pair{"timeout_rate", sandbox.timeout_rate},
                           std::pair{"slow_rate", sandbox.slow_rate}})
    if (!(rate >= 0 && rate <= 1))  // NaN too
      return make_error(error_code::bad_request, where + "." + key + " must be a share between 0 and 1");
  if (const auto* outages = table.get_as<toml::array>("outages"))
    if (auto read = read_outages(*outages, sandbox, where); !read)
      return read;
  if (const auto* prices = table.get_as<toml::array>("prices"))
    if (auto read = read_prices(*prices, sandbox, where); !read)
      return read;
  return done{};
}

status read_http(const toml::table& table, http_provider_settings& http, const std::string& where) {
  LF_READ(std::string, table, "base_url", http.base_url, where)
  LF_READ(std::string, table, "auth_header", http.auth_header, where)
  LF_READ(std::string, table, "auth_value", http.auth_value, where)
  LF_READ(std::string, table, "ca_file", http.ca_file, where)
  LF_READ(int64_t, table, "connections_max", http.connections_max, where)
  // A secret belongs in the environment, not in a file in a repository.
  std::string auth_value_env;
  LF_READ(std::string, table, "auth_value_env", auth_value_env, where)
  if (!auth_value_env.empty()) {
    const char* value = std::getenv(auth_value_env.c_str());
    if (value == nullptr)
      return make_error(error_code::bad_request, where + ".auth_value_env names " + auth_value_env + ", which is not set");
    http.auth_value = value;
  }
  if (http.base_url.empty())
    return make_error(error_code::bad_request, where + " is of type http and needs base_url");
  return done{};
}

status read_provider(const toml::table& table, provider_config& provider, size_t index) {
  std::string where = "providers[" + std::to_string(index) + "]";
  LF_READ(std::string, table, "name", provider.supervision.name, where)
  if (provider.supervision.name.empty())
    return make_error(error_code::bad_request, where + " needs a name");
  where = "provider \"" + provider.supervision.name + "\"";
  std::string kind;
  LF_READ(std::string, table, "kind", kind, where)
  auto parsed_kind = provider_kind_from_string(kind);
  if (!parsed_kind)
    return make_error(error_code::bad_request, where + ": kind must be payments, exchange, chain or defi");
  provider.kind = *parsed_kind;
  provider.sandbox.kind = *parsed_kind;
  LF_READ(std::string, table, "type", provider.type, where)
  auto& supervision = provider.supervision;
  LF_READ(int64_t, table, "workers", supervision.workers, where)
  LF_READ(int64_t, table, "queue_max", supervision.queue_max, where)
  LF_READ(int64_t, table, "timeout_ms", supervision.timeout_ms, where)
  LF_READ(int64_t, table, "stuck_worker_grace_ms", supervision.stuck_worker_grace_ms, where)
  std::string execution = supervision.inline_calls ? "inline" : "workers";
  LF_READ(std::string, table, "execution", execution, where)
  if (execution != "workers" && execution != "inline")
    return make_error(error_code::bad_request, where + ".execution must be \"workers\" or \"inline\"");
  supervision.inline_calls = execution == "inline";
  if (supervision.workers == 0 || supervision.workers > provider_workers_max)
    return make_error(error_code::bad_request, where + ".workers must be 1.." + std::to_string(provider_workers_max));
  if (supervision.queue_max > provider_queue_max)
    return make_error(error_code::bad_request, where + ".queue_max must be at most " + std::to_string(provider_queue_max));
  if (supervision.timeout_ms == 0)
    return make_error(error_code::bad_request, where + ".timeout_ms must be positive");
  if (const auto* retry = table.get_as<toml::table>("retry"))
    if (auto read = read_retry(*retry, supervision.retry, where + ".retry"); !read)
      return read;
  if (const auto* breaker = table.get_as<toml::table>("breaker"))
    if (auto read = read_breaker(*breaker, supervision.breaker, where + ".breaker"); !read)
      return read;
  if (provider.type == "sandbox") {
    if (const auto* sandbox = table.get_as<toml::table>("sandbox"))
      return read_sandbox(*sandbox, provider.sandbox, where + ".sandbox");
    return done{};
  }
  if (provider.type == "http")
    return read_http(table, provider.http, where);
  return make_error(error_code::bad_request, where + ": type must be sandbox or http");
}

#undef LF_READ

} // namespace

status read_provider_configs(const toml::table& table, std::vector<provider_config>& providers) {
  const auto* node = table.get("providers");
  if (node == nullptr)
    return done{};
  const auto* list = node->as_array();
  if (list == nullptr)
    return make_error(error_code::bad_request, "providers must be an array of tables: [[providers]]");
  providers.clear();
  std::set<std::string> names;
  for (size_t index = 0; index < list->size(); ++index) {
    const auto* provider_table = (*list)[index].as_table();
    if (provider_table == nullptr)
      return make_error(error_code::bad_request, "providers must be an array of tables: [[providers]]");
    provider_config provider;
    if (auto read = read_provider(*provider_table, provider, index); !read)
      return read;
    if (!names.insert(provider.supervision.name).second)
      return make_error(error_code::bad_request, "two providers are named \"" + provider.supervision.name + "\"");
    providers.push_back(std::move(provider));
  }
  return done{};
}

void add_default_sandboxes(std::vector<provider_config>& providers) {
  for (auto kind : {provider_kind::payments, provider_kind::exchange, provider_kind::chain, provider_kind::defi}) {
    bool configured = false;
    for (const auto& provider : providers)
      configured = configured || provider.kind == kind;
    if (configured)
      continue;
    provider_config sandbox;
    sandbox.kind = kind;
    sandbox.sandbox.kind = kind;
    sandbox.supervision.name = "sandbox-" + std::string(to_string(kind));
    providers.push_back(std::move(sandbox));
  }
}

outcome<std::vector<provider_entry>> make_provider_entries(const std::vector<provider_config>& providers,
                                                           const asset_registry& assets) {
  std::vector<provider_entry> entries;
  for (const auto& provider : providers) {
    std::shared_ptr<provider_adapter> adapter;
    try {
      if (provider.type == "http") {
        adapter = std::make_shared<http_provider>(provider.kind, provider.http);
      } else {
        auto settings = provider.sandbox;
        for (const auto& [code, asset] : assets.all())
          settings.decimals[code] = asset.decimals;
        adapter = std::make_shared<sandbox_provider>(std::move(settings));
      }
    } catch (const std::exception& failure) {
      return make_error(error_code::bad_request, "provider \"" + provider.supervision.name + "\": " + failure.what());
    }
    entries.push_back({provider.supervision, std::move(adapter)});
  }
  return entries;
}

} // namespace ledgerflow
