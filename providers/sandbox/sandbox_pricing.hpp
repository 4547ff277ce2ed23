// Exact conversions between a fiat amount and an asset amount at a price, rounded down in
// the provider's favour, as an exchange does. Decimal strings in and out, 128-bit inside.
#pragma once

#include <optional>
#include <string>

#include "providers/sandbox/sandbox_settings.hpp"

namespace ledgerflow {

struct priced_pair {
  std::string price;  // fiat per asset unit
  int asset_decimals = 0;
  int fiat_decimals = 0;
};

// The pair's price and decimals from the settings, or nothing when the pair is unknown.
std::optional<priced_pair> find_pair(const sandbox_settings& settings, const std::string& asset,
                                     const std::string& currency);
// How much asset `fiat_amount` buys; nothing when an amount is malformed or rounds to zero.
std::optional<std::string> asset_for_fiat(const priced_pair& pair, const std::string& fiat_amount);
// How much fiat `asset_amount` sells for; nothing when malformed or zero.
std::optional<std::string> fiat_for_asset(const priced_pair& pair, const std::string& asset_amount);

} // namespace ledgerflow
