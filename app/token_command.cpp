// `ledgerflow token`: prints only the JWT, signed with the configured secret.
#include <iostream>

#include "app/commands.hpp"

namespace ledgerflow {

int run_token(const app_config& config, const token_claims& claims) {
  if (config.uses_development_secret())
    std::cerr << "token: signed with the development secret (set LEDGERFLOW_JWT_SECRET for real use)\n";
  std::cout << sign_token(claims, config.effective_jwt_secret()) << "\n";
  return 0;
}

} // namespace ledgerflow
