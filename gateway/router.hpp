// Maps a request to its handler through one dispatch table: method, path pattern, who may
// call it (anyone, any valid token, an admin token) and which listener serves it.
// HEAD runs the GET route of the same path.
#pragma once

#include <functional>
#include <string_view>
#include <vector>

#include "actors/ledger_api.hpp"
#include "gateway/account_handlers.hpp"
#include "gateway/gateway_metrics.hpp"
#include "gateway/hold_handlers.hpp"
#include "gateway/http_message.hpp"
#include "gateway/jwt.hpp"
#include "gateway/probe_handlers.hpp"
#include "gateway/provider_handlers.hpp"
#include "gateway/saga_handlers.hpp"
#include "gateway/transfer_handlers.hpp"
#include "gateway/unix_clock.hpp"

namespace ledgerflow {

// Which listener a request came in on. With a separate admin listener the client listener
// does not serve admin-only routes (they answer 404 there); without one, `combined` serves all.
enum class listener_role : uint8_t { client, admin, combined };

// The metrics label of requests that matched no route.
inline constexpr std::string_view unmatched_route = "unmatched";

class router {
public:
  // `providers` may be null: the provider routes then answer 404. `sagas` may be null: the
  // saga routes then answer 503.
  router(ledger_api& ledger, provider_api* providers, saga_api* sagas, token_keys keys,
         const gateway_metrics& metrics, unix_seconds_clock clock);

  // Answers through `respond` exactly once, possibly later and on another thread. Returns the
  // matched route's pattern (static text, for metrics labels) or unmatched_route. Never throws.
  std::string_view handle(const http_request& request, listener_role role, const responder& respond) const;

private:
  enum class access : uint8_t { anyone, token, admin_token };
  enum class placement : uint8_t { any_listener, admin_listener };

  struct route {
    http_method method;
    std::string_view pattern;  // "/v1/accounts/{id}": a "{...}" segment matches one segment
    access who;
    placement where;
    std::function<void(route_context&)> handler;
  };

  std::string_view dispatch(const http_request& request, listener_role role, const responder& respond) const;
  void run_route(const route& matched, const http_request& request, std::string path_param,
                 const responder& respond) const;

  account_handlers accounts_;
  transfer_handlers transfers_;
  hold_handlers holds_;
  probe_handlers probes_;
  provider_handlers providers_;
  saga_handlers sagas_;
  token_keys keys_;
  unix_seconds_clock clock_;
  std::vector<route> routes_;
};

} // namespace ledgerflow
