// The saga routes: start a saga (admin, or the owner of params.account), list them (admin),
// show one (admin or its account's owner), steer one (admin). The engine answers with saga
// records; their `document` is the JSON the routes send, as it is.
#pragma once

#include <string>

#include "gateway/route_context.hpp"
#include "sagas/saga_api.hpp"

namespace ledgerflow {

class saga_handlers {
public:
  // `sagas` may be null (the engine is not running): the routes answer 503 unavailable.
  explicit saga_handlers(saga_api* sagas) : sagas_(sagas) {}

  // POST /v1/sagas {"type","idempotency_key","params":{...}} -> 202 document
  void start(route_context& context) const;
  // GET /v1/sagas?state=&type=&account=&limit= -> 200 {"sagas":[document,...]}
  void list(route_context& context) const;
  // GET /v1/sagas/{id} -> 200 document
  void get(route_context& context) const;
  // POST /v1/sagas/{id}/{pause|resume|retry|abort} -> 200 document; `action_name` is the
  // route's last segment.
  void steer(route_context& context, const std::string& action_name) const;

private:
  bool available(route_context& context) const;

  saga_api* sagas_;
};

} // namespace ledgerflow
