#include "protocols/bucket.hpp"

#include <algorithm>

#include "protocols/limits.hpp"

namespace ledgerflow {

namespace {

bool is_protocol_name(std::string_view name) {
  auto valid_char = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'; };
  return !name.empty() && name.size() <= limits::protocol_name_length_max
         && std::all_of(name.begin(), name.end(), valid_char);
}

} // namespace

outcome<bucket> parse_bucket(std::string_view text, const asset_registry& assets) {
  auto invalid = [&](const std::string& why) {
    return make_error(error_code::bucket_invalid,
                      "bucket \"" + std::string(text.substr(0, limits::bucket_length_max)) + "\" " + why);
  };
  if (text.size() > limits::bucket_length_max)
    return invalid("is too long");
  auto slash = text.find('/');
  if (slash == std::string_view::npos)
    return invalid("must be <domain>/<asset>");
  auto domain_name = text.substr(0, slash);
  auto rest = text.substr(slash + 1);
  bucket result;
  result.name = std::string(text);
  if (domain_name == "banking")
    result.domain = domain::banking;
  else if (domain_name == "investing")
    result.domain = domain::investing;
  else if (domain_name == "defi")
    result.domain = domain::defi;
  else
    return invalid("has an unknown domain (banking, investing or defi)");
  auto colon = rest.find(':');
  if (result.domain == domain::defi) {
    if (colon == std::string_view::npos || !is_protocol_name(rest.substr(0, colon)))
      return invalid("must name a protocol: defi/<protocol>:<asset>");
    rest = rest.substr(colon + 1);
  } else if (colon != std::string_view::npos) {
    return invalid("may name a protocol only in the defi domain");
  }
  auto found = assets.find(rest);
  if (!found)
    return make_error(error_code::unknown_asset, "unknown asset \"" + std::string(rest.substr(0, limits::asset_code_length_max)) + "\"");
  result.asset_code = found->code;
  result.decimals = found->decimals;
  return result;
}

} // namespace ledgerflow
