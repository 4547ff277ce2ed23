// JSON Web Tokens (RFC 7519) as the gateway accepts them: compact form, HS256 only for now,
// claims sub, accounts, role and exp. `ledgerflow token` mints them with sign_token.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/limits.hpp"
#include "protocols/outcome.hpp"

namespace ledgerflow {

enum class token_role : uint8_t { user, admin };

std::string_view to_string(token_role role);

struct token_claims {
  std::string subject;                // "sub"
  std::vector<std::string> accounts;  // "accounts": the account ids a user may read
  token_role role = token_role::user; // "role": "user" (the default) or "admin"
  int64_t expires_at_s = 0;           // "exp": unix seconds; required
};

// The keys tokens may be verified with. An algorithm is accepted only when its key is set,
// so a deployment with an ES256 public key (to come) cannot be fooled by an HS256 token.
struct token_keys {
  std::string hs256_secret;
};

// Bounds on untrusted tokens; a token arrives in a header, which is bounded as well.
using limits::token_length_max;
using limits::token_subject_length_max;
using limits::token_accounts_max;

// Compact HS256 token for the claims. The secret must not be empty.
std::string sign_token(const token_claims& claims, std::string_view secret);

// Checks shape, algorithm (the header's "alg" must name an algorithm whose key is set:
// never "none"), signature in constant time, then the claims; `exp` must be after now_s.
// Every failure is error_code::unauthorized with a message saying what was wrong.
outcome<token_claims> verify_token(std::string_view token, const token_keys& keys, int64_t now_s);

} // namespace ledgerflow
