#include "gateway/ws/ws_upgrade.hpp"

#include "gateway/auth.hpp"
#include "gateway/query_params.hpp"

namespace ledgerflow::ws {

namespace {

// Browsers cannot set headers on a WebSocket, so they send the token in the query.
outcome<token_claims> authenticate_upgrade(const ws_context& context, const upgrade_request& request) {
  auto now = context.clock();
  if (!request.authorization.empty())
    return authenticate(request.authorization, context.keys, now);
  auto params = query_params::parse(request.query);
  if (!params)
    return make_error(error_code::unauthorized, params.error().message);
  auto token = params->find("access_token");
  if (!token)
    return make_error(error_code::unauthorized, "missing token: Authorization: Bearer <token> or ?access_token=");
  return verify_token(*token, context.keys, now);
}

} // namespace

outcome<ws_session_setup> prepare_upgrade(const std::shared_ptr<ws_context>& context, const upgrade_request& request) {
  const auto& config = context->config;
  auto accepted = check_upgrade(request.headers);
  if (!accepted)
    return accepted.error();
  if (!origin_allowed(request.headers.origin, request.headers.host, config.allowed_origins))
    return make_error(error_code::forbidden, "origin " + std::string(request.headers.origin) + " is not allowed");
  auto claims = authenticate_upgrade(*context, request);
  if (!claims)
    return claims.error();
  ws_session_setup setup;
  if (!context->per_ip->try_acquire(request.remote_ip, config.connections_per_ip_max, setup.ip_ticket))
    return make_error(error_code::rate_limited, "too many WebSocket connections from " + request.remote_ip);
  if (!context->per_subject->try_acquire(claims->subject, config.connections_per_subject_max, setup.subject_ticket))
    return make_error(error_code::rate_limited, "too many WebSocket connections for subject " + claims->subject);
  setup.context = context;
  setup.upgrade = std::move(*accepted);
  setup.claims = std::move(*claims);
  return setup;
}

} // namespace ledgerflow::ws
