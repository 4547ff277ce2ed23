#include "gateway/auth.hpp"

#include <algorithm>
#include <cctype>

namespace ledgerflow {

outcome<token_claims> authenticate(std::string_view authorization_header, const token_keys& keys, int64_t now_s) {
  if (authorization_header.empty())
    return make_error(error_code::unauthorized, "missing Authorization: Bearer <token>");
  constexpr std::string_view scheme = "bearer ";
  // The scheme name is case-insensitive (RFC 7235 2.1).
  bool is_bearer = authorization_header.size() > scheme.size()
                   && std::equal(scheme.begin(), scheme.end(), authorization_header.begin(), [](char a, char b) {
                        return a == std::tolower(static_cast<unsigned char>(b));
                      });
  if (!is_bearer)
    return make_error(error_code::unauthorized, "Authorization must be: Bearer <token>");
  return verify_token(authorization_header.substr(scheme.size()), keys, now_s);
}

bool may_read_account(const token_claims& claims, std::string_view account) {
  if (claims.role == token_role::admin)
    return true;
  return std::find(claims.accounts.begin(), claims.accounts.end(), account) != claims.accounts.end();
}

} // namespace ledgerflow
