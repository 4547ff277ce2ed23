#include "gateway/transfer_handlers.hpp"

#include "gateway/transfer_body.hpp"
#include "protocols/json_views.hpp"

namespace ledgerflow {

void transfer_handlers::post_transfer(route_context& context) const {
  const auto& assets = ledger_.assets();
  auto request = parse_transfer_body(context.request.body, assets);
  if (!request)
    return context.respond(error_response(request.error()));
  ledger_.transfer(std::move(*request), [respond = std::move(context.respond), &assets](outcome<transfer_receipt> receipt) {
    if (!receipt)
      return respond(error_response(receipt.error()));
    auto body = transfer_receipt_json(*receipt, assets);
    if (!body)
      return respond(error_response(body.error()));
    respond(json_response(201, *body));
  });
}

} // namespace ledgerflow
