#include "protocols/account_id.hpp"

#include <algorithm>
#include <string>

#include "protocols/limits.hpp"

namespace ledgerflow {

outcome<account_kind> parse_account_id(std::string_view id) {
  auto valid_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == ':' || c == '_' || c == '.'
           || c == '-';
  };
  auto invalid = [&] {
    return make_error(error_code::account_invalid,
                      "account id must be user:<name> or system:<name> with [a-z0-9:_.-], at most 128 characters");
  };
  if (id.empty() || id.size() > limits::account_id_length_max
      || !std::all_of(id.begin(), id.end(), valid_char))
    return invalid();
  constexpr std::string_view user_prefix = "user:";
  constexpr std::string_view system_prefix = "system:";
  if (id.size() > user_prefix.size() && id.substr(0, user_prefix.size()) == user_prefix)
    return account_kind::user;
  if (id.size() > system_prefix.size() && id.substr(0, system_prefix.size()) == system_prefix)
    return account_kind::system;
  return invalid();
}

} // namespace ledgerflow
