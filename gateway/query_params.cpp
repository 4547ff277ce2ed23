#include "gateway/query_params.hpp"

#include <limits>

#include "gateway/percent_decoding.hpp"

namespace ledgerflow {

outcome<query_params> query_params::parse(std::string_view query) {
  query_params params;
  size_t count = 0;
  while (!query.empty()) {
    auto ampersand = query.find('&');
    auto pair = query.substr(0, ampersand);
    query = ampersand == std::string_view::npos ? std::string_view{} : query.substr(ampersand + 1);
    if (pair.empty())
      continue;
    if (++count > query_params_max)
      return make_error(error_code::bad_request, "too many query parameters (at most 32)");
    auto equals = pair.find('=');
    auto name = percent_decode(pair.substr(0, equals));
    auto value = percent_decode(equals == std::string_view::npos ? std::string_view{} : pair.substr(equals + 1));
    if (!name || !value)
      return make_error(error_code::bad_request, "malformed percent-encoding in the query string");
    params.values_[std::move(*name)] = std::move(*value);
  }
  return params;
}

std::optional<std::string_view> query_params::find(std::string_view name) const {
  auto found = values_.find(name);
  if (found == values_.end())
    return std::nullopt;
  return std::string_view(found->second);
}

outcome<uint64_t> query_params::unsigned_value(std::string_view name, uint64_t fallback, uint64_t min,
                                               uint64_t max) const {
  auto text = find(name);
  if (!text)
    return fallback;
  auto invalid = [&] {
    return make_error(error_code::bad_request, std::string(name) + " must be an integer from " + std::to_string(min)
                                                 + " to " + std::to_string(max));
  };
  if (text->empty())
    return invalid();
  uint64_t value = 0;
  for (char c : *text) {
    if (c < '0' || c > '9')
      return invalid();
    auto digit = static_cast<uint64_t>(c - '0');
    if (value > (std::numeric_limits<uint64_t>::max() - digit) / 10)
      return invalid();
    value = value * 10 + digit;
  }
  if (value < min || value > max)
    return invalid();
  return value;
}

} // namespace ledgerflow
