#include "providers/sandbox/sandbox_pricing.hpp"

#include "protocols/amount.hpp"

namespace ledgerflow {

namespace {

minor_units power_of_ten(int exponent) {
  minor_units value = 1;
  for (int i = 0; i < exponent; ++i)
    value *= 10;
  return value;
}

// a * b / c without overflow for the sizes money has here (asset decimals <= 18, amounts
// below 10^20 minor units); nothing when it would not fit or rounds to zero.
std::optional<minor_units> multiply_divide(minor_units a, minor_units b, minor_units c) {
  if (a <= 0 || b <= 0 || c <= 0 || a > minor_units_max / b)
    return std::nullopt;
  auto result = a * b / c;
  if (result <= 0)
    return std::nullopt;
  return result;
}

} // namespace

std::optional<priced_pair> find_pair(const sandbox_settings& settings, const std::string& asset,
                                     const std::string& currency) {
  auto asset_decimals = settings.decimals.find(asset);
  auto fiat_decimals = settings.decimals.find(currency);
  if (asset_decimals == settings.decimals.end() || fiat_decimals == settings.decimals.end())
    return std::nullopt;
  for (const auto& price : settings.prices)
    if (price.asset == asset && price.currency == currency)
      return priced_pair{price.price, asset_decimals->second, fiat_decimals->second};
  return std::nullopt;
}

std::optional<std::string> asset_for_fiat(const priced_pair& pair, const std::string& fiat_amount) {
  auto fiat = parse_amount(fiat_amount, pair.fiat_decimals);
  auto price = parse_amount(pair.price, pair.fiat_decimals);
  if (!fiat || !price)
    return std::nullopt;
  auto asset = multiply_divide(*fiat, power_of_ten(pair.asset_decimals), *price);
  if (!asset)
    return std::nullopt;
  return format_amount(*asset, pair.asset_decimals);
}

std::optional<std::string> fiat_for_asset(const priced_pair& pair, const std::string& asset_amount) {
  auto asset = parse_amount(asset_amount, pair.asset_decimals);
  auto price = parse_amount(pair.price, pair.fiat_decimals);
  if (!asset || !price)
    return std::nullopt;
  auto fiat = multiply_divide(*asset, *price, power_of_ten(pair.asset_decimals));
  if (!fiat)
    return std::nullopt;
  return format_amount(*fiat, pair.fiat_decimals);
}

} // namespace ledgerflow
