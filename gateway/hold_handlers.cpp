#include "gateway/hold_handlers.hpp"

#include <string>

#include "gateway/hold_body.hpp"
#include "protocols/json_views.hpp"

namespace ledgerflow {

namespace {

// Answers a hold or release receipt; a repeated key gets the first receipt again.
auto hold_answer(responder respond, const asset_registry& assets, int status, std::string state) {
  return [respond = std::move(respond), &assets, status, state = std::move(state)](outcome<transfer_receipt> receipt) {
    if (!receipt)
      return respond(error_response(receipt.error()));
    auto body = hold_receipt_json(*receipt, state, assets);
    if (!body)
      return respond(error_response(body.error()));
    respond(json_response(status, *body));
  };
}

} // namespace

void hold_handlers::post_hold(route_context& context) const {
  const auto& assets = ledger_.assets();
  auto request = parse_hold_body(context.request.body, assets);
  if (!request)
    return context.respond(error_response(request.error()));
  ledger_.hold(std::move(*request), hold_answer(std::move(context.respond), assets, 201, "held"));
}

void hold_handlers::release_hold(route_context& context) const {
  auto request = parse_release_body(context.request.body, context.path_param);
  if (!request)
    return context.respond(error_response(request.error()));
  ledger_.release(std::move(*request), hold_answer(std::move(context.respond), ledger_.assets(), 200, "released"));
}

void hold_handlers::post_to(route_context& context) const {
  const auto& assets = ledger_.assets();
  auto request = parse_post_body(context.request.body, context.path_param, assets);
  if (!request)
    return context.respond(error_response(request.error()));
  auto hold_id = request->hold_id;
  ledger_.post(std::move(*request), [respond = std::move(context.respond), &assets,
                                     hold_id = std::move(hold_id)](outcome<transfer_receipt> receipt) {
    if (!receipt)
      return respond(error_response(receipt.error()));
    auto body = transfer_receipt_json(*receipt, assets);
    if (!body)
      return respond(error_response(body.error()));
    (*body)["hold_id"] = hold_id;
    respond(json_response(201, *body));
  });
}

} // namespace ledgerflow
