// The query string of a request, decoded and bounded. Unknown parameters are ignored; a
// repeated one keeps its last value.
#pragma once

#include "protocols/limits.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "protocols/outcome.hpp"

namespace ledgerflow {

using limits::query_params_max;

class query_params {
public:
  // bad_request on a malformed escape or more than query_params_max parameters.
  static outcome<query_params> parse(std::string_view query);

  std::optional<std::string_view> find(std::string_view name) const;

  // The parameter as a decimal integer in [min, max], or `fallback` when absent;
  // bad_request naming the parameter otherwise.
  outcome<uint64_t> unsigned_value(std::string_view name, uint64_t fallback, uint64_t min, uint64_t max) const;

private:
  std::map<std::string, std::string, std::less<>> values_;
};

} // namespace ledgerflow
