// A balance bucket "<domain>/<asset>": banking/USD, investing/BTC, defi/aave:USDC.
#pragma once

#include <string>
#include <string_view>

#include "protocols/asset_registry.hpp"
#include "protocols/outcome.hpp"

namespace ledgerflow {

enum class domain : uint8_t { banking, investing, defi };

struct bucket {
  std::string name;        // the full text, "defi/aave:USDC"
  ledgerflow::domain domain = domain::banking;
  std::string asset_code;  // "USDC"
  int decimals = 0;
};

// Validates the bucket's shape, its domain and that its asset is configured.
// DeFi buckets name a protocol ("defi/aave:USDC"); the other domains must not.
outcome<bucket> parse_bucket(std::string_view text, const asset_registry& assets);

} // namespace ledgerflow
