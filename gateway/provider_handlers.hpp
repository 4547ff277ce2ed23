// The provider routes (admin): inspect every provider's breaker, bulkhead and counters, steer
// a breaker, and make one call through a supervisor (for operators checking a provider, and
// for tests and demos before sagas drive the calls).
#pragma once

#include "actors/providers/provider_api.hpp"
#include "gateway/route_context.hpp"

namespace ledgerflow {

class provider_handlers {
public:
  // `providers` may be null (a gateway without providers): the routes answer 404.
  explicit provider_handlers(provider_api* providers) : providers_(providers) {}

  // GET /v1/providers -> {"providers":[{name, kind, type, breaker{...}, in_flight, ...}]}
  void list(route_context& context) const;
  // POST /v1/providers/{name}/breaker {"action":"force_open"|"close"|"reset"|"disable"}
  void steer_breaker(route_context& context) const;
  // POST /v1/providers/{name}/call {"operation","idempotency_key","fields":{...}}
  void call_named(route_context& context) const;
  // POST /v1/providers/kind/{kind}/call: the same, to a healthy provider of the kind
  void call_kind(route_context& context) const;

private:
  bool available(route_context& context) const;

  provider_api* providers_;
};

} // namespace ledgerflow
