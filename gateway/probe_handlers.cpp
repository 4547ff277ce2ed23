#include "gateway/probe_handlers.hpp"

namespace ledgerflow {

void probe_handlers::healthz(route_context& context) const {
  context.respond(json_response(200, {{"status", "ok"}}));
}

void probe_handlers::readyz(route_context& context) const {
  if (!ledger_.ready())
    return context.respond(
      error_response(make_error(error_code::unavailable, "not ready: storage is opening or recovery is running")));
  if (!ledger_.storage_healthy())
    return context.respond(
      error_response(make_error(error_code::unavailable, "not ready: the storage does not answer")));
  context.respond(json_response(200, {{"status", "ready"}}));
}

void probe_handlers::metrics(route_context& context) const {
  http_response response;
  response.content_type = "text/plain; version=0.0.4; charset=utf-8";
  response.body = metrics_.prometheus_text() + ledger_.metrics_text();
  if (providers_ != nullptr)
    response.body += providers_->metrics_text();
  if (sagas_ != nullptr)
    response.body += sagas_->metrics_text();
  context.respond(std::move(response));
}

} // namespace ledgerflow
