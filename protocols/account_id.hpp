// Account ids: "user:<name>" or "system:<name>", [a-z0-9:_.-]{1,128}.
#pragma once

#include <string_view>

#include "protocols/outcome.hpp"

namespace ledgerflow {

enum class account_kind : uint8_t { user, system };

// Validates an account id and tells its kind. User buckets may never go negative.
outcome<account_kind> parse_account_id(std::string_view id);

} // namespace ledgerflow
