// The configured assets (code and decimals). Defaults: USD 2, EUR 2, BTC 8, ETH 18, USDC 6.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "protocols/outcome.hpp"

namespace ledgerflow {

struct asset {
  std::string code;  // "USD", [A-Z0-9]{1,16}
  int decimals = 0;  // minor units per major unit = 10^decimals
};

class asset_registry {
public:
  static asset_registry defaults();

  // Adds or replaces an asset; rejects a bad code or decimals outside 0..30.
  status add(std::string code, int decimals);
  std::optional<asset> find(std::string_view code) const;
  const std::map<std::string, asset, std::less<>>& all() const { return assets_; }

private:
  std::map<std::string, asset, std::less<>> assets_;
};

} // namespace ledgerflow
