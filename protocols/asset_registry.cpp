#include "protocols/asset_registry.hpp"

#include <algorithm>

#include "protocols/limits.hpp"

namespace ledgerflow {

asset_registry asset_registry::defaults() {
  asset_registry registry;
  for (auto [code, decimals] : {std::pair{"USD", 2}, {"EUR", 2}, {"BTC", 8}, {"ETH", 18}, {"USDC", 6}})
    registry.add(code, decimals);
  return registry;
}

status asset_registry::add(std::string code, int decimals) {
  auto valid_char = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  if (code.empty() || code.size() > limits::asset_code_length_max
      || !std::all_of(code.begin(), code.end(), valid_char))
    return make_error(error_code::unknown_asset, "asset code must match [A-Z0-9]{1,16}: " + code);
  if (decimals < 0 || decimals > limits::asset_decimals_max)
    return make_error(error_code::bad_request, "asset decimals must be 0..30");
  auto key = code;
  assets_[key] = asset{std::move(code), decimals};
  return done{};
}

std::optional<asset> asset_registry::find(std::string_view code) const {
  auto found = assets_.find(code);
  if (found == assets_.end())
    return std::nullopt;
  return found->second;
}

} // namespace ledgerflow
