#include "app/saga_config.hpp"

#include "protocols/account_id.hpp"

namespace ledgerflow {

namespace {

error wrong(std::string_view key, std::string_view wanted) {
  return make_error(error_code::bad_request, "sagas." + std::string(key) + " must be " + std::string(wanted));
}

status read_number(const toml::table& sagas, std::string_view key, uint32_t& target, int64_t low, int64_t high) {
  const auto* node = sagas.get(key);
  if (node == nullptr)
    return done{};
  auto value = node->value<int64_t>();
  if (!node->is_integer() || !value || *value < low || *value > high)
    return wrong(key, "an integer from " + std::to_string(low) + " to " + std::to_string(high));
  target = static_cast<uint32_t>(*value);
  return done{};
}

status read_system_account(const toml::table& sagas, std::string_view key, std::string& target) {
  const auto* node = sagas.get(key);
  if (node == nullptr)
    return done{};
  auto value = node->value<std::string>();
  if (!node->is_string() || !value)
    return wrong(key, "a string");
  auto kind = parse_account_id(*value);
  if (!kind || *kind != account_kind::system)
    return wrong(key, "a system account id (system:<name>)");
  target = *value;
  return done{};
}

} // namespace

status read_saga_settings(const toml::table& table, saga_settings& settings) {
  const auto* sagas = table.get_as<toml::table>("sagas");
  if (sagas == nullptr)
    return done{};
  constexpr int64_t hour_ms = 3'600'000;
  for (auto read : {
         read_number(*sagas, "deposit_fee_bps", settings.deposit_fee_bps, 0, 9'999),
         read_number(*sagas, "defi_fee_bps", settings.defi_fee_bps, 0, 9'999),
         read_number(*sagas, "confirmations", settings.confirmations, 0, 1'000),
         read_number(*sagas, "step_timeout_ms", settings.step_timeout_ms, 1, 24 * hour_ms),
         read_number(*sagas, "confirmation_timeout_ms", settings.confirmation_timeout_ms, 1, 24 * hour_ms),
         read_number(*sagas, "compensation_timeout_ms", settings.compensation_timeout_ms, 1, 24 * hour_ms),
         read_number(*sagas, "retry_backoff_ms", settings.retry_backoff_ms, 1, hour_ms),
         read_number(*sagas, "retry_backoff_max_ms", settings.retry_backoff_max_ms, 1, hour_ms),
         read_number(*sagas, "waiting_poll_ms", settings.waiting_poll_ms, 1, hour_ms),
         read_number(*sagas, "confirmation_poll_ms", settings.confirmation_poll_ms, 1, hour_ms),
         read_system_account(*sagas, "payments_account", settings.payments_account),
         read_system_account(*sagas, "exchange_account", settings.exchange_account),
         read_system_account(*sagas, "fees_account", settings.fees_account),
       })
    if (!read)
      return read;
  if (settings.retry_backoff_max_ms < settings.retry_backoff_ms)
    return wrong("retry_backoff_max_ms", "at least retry_backoff_ms");
  return done{};
}

} // namespace ledgerflow
