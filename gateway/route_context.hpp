// What a route handler gets: the request, the decoded path parameter, the verified caller
// (for routes that need a token) and the one-shot responder.
#pragma once

#include <optional>
#include <string>

#include "gateway/http_message.hpp"
#include "gateway/jwt.hpp"

namespace ledgerflow {

struct route_context {
  const http_request& request;         // valid only during the handler call: copy what callbacks need
  std::string path_param;              // the decoded "{id}" segment, when the pattern has one
  std::optional<token_claims> caller;  // set when the route requires a token
  responder respond;                   // call exactly once; handlers move it into callbacks
};

} // namespace ledgerflow
