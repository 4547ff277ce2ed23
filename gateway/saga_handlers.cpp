#include "gateway/saga_handlers.hpp"

#include "gateway/auth.hpp"
#include "gateway/saga_body.hpp"

namespace ledgerflow {

namespace {

// The record's document is already a JSON object text (the engine wrote it): sent unparsed.
http_response document_response(int status_code, const saga_record& record) {
  http_response response;
  response.status = status_code;
  response.body = record.document;
  return response;
}

auto answer_record(responder respond, int status_code) {
  return [respond = std::move(respond), status_code](outcome<saga_record> record) {
    if (!record)
      return respond(error_response(record.error()));
    respond(document_response(status_code, *record));
  };
}

} // namespace

bool saga_handlers::available(route_context& context) const {
  if (sagas_ != nullptr)
    return true;
  context.respond(error_response(make_error(error_code::unavailable, "sagas are not running")));
  return false;
}

void saga_handlers::start(route_context& context) const {
  // Shape first (400), then ownership (403), then whether the engine runs (503): a client's
  // mistake is answered as one whatever the server's state. The router verified the token.
  auto request = parse_saga_start_body(context.request.body);
  if (!request)
    return context.respond(error_response(request.error()));
  auto account = saga_start_account(*request);
  if (!context.caller || !may_read_account(*context.caller, account))
    return context.respond(
      error_response(make_error(error_code::forbidden, "this token does not grant access to account " + account)));
  if (!available(context))
    return;
  sagas_->start(std::move(*request), answer_record(std::move(context.respond), 202));
}

void saga_handlers::list(route_context& context) const {
  auto filter = parse_saga_filter(context.request.query);
  if (!filter)
    return context.respond(error_response(filter.error()));
  if (!available(context))
    return;
  auto limit = filter->limit;
  sagas_->list(std::move(*filter), [respond = std::move(context.respond), limit](outcome<std::vector<saga_record>> records) {
    if (!records)
      return respond(error_response(records.error()));
    http_response response;
    response.body = "{\"sagas\":[";
    size_t written = 0;
    for (const auto& record : *records) {
      if (written == limit)
        break;  // the page size is ours to keep, whatever the engine sends
      response.body += (written++ == 0 ? "" : ",") + record.document;
    }
    response.body += "]}";
    respond(std::move(response));
  });
}

void saga_handlers::get(route_context& context) const {
  if (!available(context))
    return;
  auto caller = context.caller;
  sagas_->get(context.path_param, [respond = std::move(context.respond), caller = std::move(caller)](outcome<saga_record> record) {
    if (!record)
      return respond(error_response(record.error()));
    if (!caller || !may_read_account(*caller, record->account))
      return respond(error_response(
        make_error(error_code::forbidden, "this token does not grant access to account " + record->account)));
    respond(document_response(200, *record));
  });
}

void saga_handlers::steer(route_context& context, const std::string& action_name) const {
  if (!available(context))
    return;
  saga_action action{};
  if (!saga_action_from_string(action_name, action))
    return context.respond(error_response(
      make_error(error_code::not_found, "a saga is steered with pause, resume, retry or abort")));
  sagas_->steer(context.path_param, action, answer_record(std::move(context.respond), 200));
}

} // namespace ledgerflow
