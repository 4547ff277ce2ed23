// Who is calling (a Bearer JWT in the Authorization header) and what they may touch:
// an admin anything, a user only the accounts its token lists.
#pragma once

#include <cstdint>
#include <string_view>

#include "gateway/jwt.hpp"
#include "protocols/outcome.hpp"

namespace ledgerflow {

// unauthorized when the header is missing, is not "Bearer <token>" or the token fails.
outcome<token_claims> authenticate(std::string_view authorization_header, const token_keys& keys, int64_t now_s);

bool may_read_account(const token_claims& claims, std::string_view account);

} // namespace ledgerflow
