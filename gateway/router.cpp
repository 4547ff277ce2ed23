#include "gateway/router.hpp"

#include <exception>

#include <spdlog/spdlog.h>

#include "gateway/auth.hpp"
#include "gateway/percent_decoding.hpp"

namespace ledgerflow {

namespace {

// Next '/'-separated segment of `path` (which starts after a '/'); advances `path`.
std::string_view next_segment(std::string_view& path) {
  auto slash = path.find('/');
  auto segment = path.substr(0, slash);
  path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
  return segment;
}

// True when `path` has the pattern's shape; the "{...}" segment is copied, still encoded.
bool match_pattern(std::string_view pattern, std::string_view path, std::string& param) {
  if (pattern.empty() || path.empty() || pattern.front() != '/' || path.front() != '/')
    return false;
  pattern.remove_prefix(1);
  path.remove_prefix(1);
  bool pattern_done = false;
  bool path_done = false;
  while (!pattern_done && !path_done) {
    pattern_done = pattern.find('/') == std::string_view::npos;
    path_done = path.find('/') == std::string_view::npos;
    auto expected = next_segment(pattern);
    auto actual = next_segment(path);
    if (!expected.empty() && expected.front() == '{') {
      if (actual.empty())
        return false;
      param = std::string(actual);
    } else if (expected != actual) {
      return false;
    }
  }
  return pattern_done && path_done;
}

// HEAD is answered by the GET route; the session writes the headers without the body
// (RFC 9110 9.3.2).
bool serves(http_method route_method, http_method request_method) {
  return route_method == request_method || (route_method == http_method::get && request_method == http_method::head);
}

std::string allow_header(const std::vector<http_method>& methods) {
  std::string text;
  for (auto method : methods) {
    text += (text.empty() ? "" : ", ") + std::string(to_string(method));
    if (method == http_method::get)
      text += ", HEAD";  // every GET route answers HEAD too
  }
  return text;
}

http_response unauthorized_response(const error& failure) {
  auto response = error_response(failure);
  response.headers.emplace_back("WWW-Authenticate", "Bearer");
  return response;
}

} // namespace

router::router(ledger_api& ledger, provider_api* providers, saga_api* sagas, token_keys keys,
               const gateway_metrics& metrics, unix_seconds_clock clock)
  : accounts_(ledger), transfers_(ledger), holds_(ledger), probes_(ledger, providers, sagas, metrics), providers_(providers),
    sagas_(sagas), keys_(std::move(keys)), clock_(std::move(clock)) {
  using m = http_method;
  routes_ = {
    {m::get, "/healthz", access::anyone, placement::any_listener, [this](route_context& c) { probes_.healthz(c); }},
    {m::get, "/readyz", access::anyone, placement::any_listener, [this](route_context& c) { probes_.readyz(c); }},
    {m::get, "/metrics", access::anyone, placement::admin_listener, [this](route_context& c) { probes_.metrics(c); }},
    {m::get, "/v1/accounts/{id}", access::token, placement::any_listener,
     [this](route_context& c) { accounts_.get_account(c); }},
    {m::get, "/v1/accounts/{id}/entries", access::token, placement::any_listener,
     [this](route_context& c) { accounts_.get_entries(c); }},
    {m::get, "/v1/accounts/{id}/holds", access::token, placement::any_listener,
     [this](route_context& c) { accounts_.get_holds(c); }},
    {m::post, "/v1/transfers", access::admin_token, placement::any_listener,
     [this](route_context& c) { transfers_.post_transfer(c); }},
    {m::post, "/v1/holds", access::admin_token, placement::any_listener,
     [this](route_context& c) { holds_.post_hold(c); }},
    {m::post, "/v1/holds/{id}/release", access::admin_token, placement::any_listener,
     [this](route_context& c) { holds_.release_hold(c); }},
    {m::post, "/v1/holds/{id}/post", access::admin_token, placement::any_listener,
     [this](route_context& c) { holds_.post_to(c); }},
    {m::get, "/v1/providers", access::admin_token, placement::any_listener,
     [this](route_context& c) { providers_.list(c); }},
    {m::post, "/v1/providers/{name}/breaker", access::admin_token, placement::any_listener,
     [this](route_context& c) { providers_.steer_breaker(c); }},
    {m::post, "/v1/providers/{name}/call", access::admin_token, placement::any_listener,
     [this](route_context& c) { providers_.call_named(c); }},
    {m::post, "/v1/providers/kind/{kind}/call", access::admin_token, placement::any_listener,
     [this](route_context& c) { providers_.call_kind(c); }},
    {m::post, "/v1/sagas", access::token, placement::any_listener, [this](route_context& c) { sagas_.start(c); }},
    {m::get, "/v1/sagas", access::admin_token, placement::any_listener, [this](route_context& c) { sagas_.list(c); }},
    {m::get, "/v1/sagas/{id}", access::token, placement::any_listener, [this](route_context& c) { sagas_.get(c); }},
    {m::post, "/v1/sagas/{id}/pause", access::admin_token, placement::any_listener,
     [this](route_context& c) { sagas_.steer(c, "pause"); }},
    {m::post, "/v1/sagas/{id}/resume", access::admin_token, placement::any_listener,
     [this](route_context& c) { sagas_.steer(c, "resume"); }},
    {m::post, "/v1/sagas/{id}/retry", access::admin_token, placement::any_listener,
     [this](route_context& c) { sagas_.steer(c, "retry"); }},
    {m::post, "/v1/sagas/{id}/abort", access::admin_token, placement::any_listener,
     [this](route_context& c) { sagas_.steer(c, "abort"); }},
  };
}

std::string_view router::handle(const http_request& request, listener_role role, const responder& respond) const {
  try {
    return dispatch(request, role, respond);
  } catch (const std::exception& failure) {
    // A handler bug must cost one request, not the process; the session ignores a second answer.
    spdlog::error("gateway: handler for {} {} threw: {}", to_string(request.method), request.path, failure.what());
    respond(error_response(make_error(error_code::internal, "internal error")));
    return unmatched_route;
  }
}

std::string_view router::dispatch(const http_request& request, listener_role role, const responder& respond) const {
  if (request.path.empty() || request.path.front() != '/') {
    respond(error_response(make_error(error_code::bad_request, "the request target must be an absolute path")));
    return unmatched_route;
  }
  std::vector<http_method> allowed;
  const route* path_match = nullptr;
  for (const auto& candidate : routes_) {
    if (candidate.where == placement::admin_listener && role == listener_role::client)
      continue;
    std::string param;
    if (!match_pattern(candidate.pattern, request.path, param))
      continue;
    path_match = &candidate;
    if (!serves(candidate.method, request.method)) {
      allowed.push_back(candidate.method);
      continue;
    }
    run_route(candidate, request, std::move(param), respond);
    return candidate.pattern;
  }
  if (path_match == nullptr) {
    respond(error_response(make_error(error_code::not_found, "no route for " + request.path.substr(0, 256))));
    return unmatched_route;
  }
  auto response = error_response(make_error(error_code::method_not_allowed,
                                            std::string(to_string(request.method)) + " is not allowed here; use "
                                              + allow_header(allowed)));
  response.headers.emplace_back("Allow", allow_header(allowed));
  respond(std::move(response));
  return path_match->pattern;
}

void router::run_route(const route& matched, const http_request& request, std::string path_param,
                       const responder& respond) const {
  route_context context{request, {}, std::nullopt, respond};
  if (!path_param.empty()) {
    auto decoded = percent_decode(path_param);
    if (!decoded)
      return respond(error_response(make_error(error_code::bad_request, "malformed percent-encoding in the path")));
    context.path_param = std::move(*decoded);
  }
  if (matched.who != access::anyone) {
    auto caller = authenticate(request.authorization, keys_, clock_());
    if (!caller)
      return respond(unauthorized_response(caller.error()));
    if (matched.who == access::admin_token && caller->role != token_role::admin)
      return respond(error_response(make_error(error_code::forbidden, "this route needs an admin token")));
    context.caller = std::move(*caller);
  }
  matched.handler(context);
}

} // namespace ledgerflow
