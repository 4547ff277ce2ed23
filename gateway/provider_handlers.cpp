#include "gateway/provider_handlers.hpp"

#include "gateway/json_body.hpp"
#include "protocols/limits.hpp"

namespace ledgerflow {

namespace {

nlohmann::json status_json(const provider_status& status) {
  const auto& b = status.breaker;
  nlohmann::json calls = {{"retries", status.calls.retries}};
  for (const auto& [outcome, value] : status.calls.by_outcome())
    calls[outcome] = value;
  return {
    {"name", status.name},
    {"kind", std::string(to_string(status.kind))},
    {"type", status.type},
    {"breaker",
     {{"state", std::string(to_string(b.state))},
      {"calls_in_window", b.calls_in_window},
      {"failure_rate_percent", b.failure_rate_percent},
      {"slow_call_rate_percent", b.slow_call_rate_percent},
      {"consecutive_failures", b.consecutive_failures},
      {"transitions", b.transitions}}},
    {"in_flight", status.in_flight},
    {"queued", status.queued},
    {"workers", status.workers},
    {"worker_restarts", status.worker_restarts},
    {"calls", calls},
  };
}

error_code error_code_for(failure_kind kind) {
  switch (kind) {
    case failure_kind::unavailable: return error_code::unavailable;
    case failure_kind::timeout: return error_code::provider_timeout;
    case failure_kind::transient: return error_code::provider_error;
    case failure_kind::rejected: return error_code::provider_rejected;
  }
  return error_code::internal;
}

// {"operation","idempotency_key","fields":{name: string}} -> a provider call.
outcome<provider_call> parse_call_body(std::string_view body) {
  auto json = parse_json_object(body);
  if (!json)
    return json.error();
  auto bad = [](std::string message) { return make_error(error_code::bad_request, std::move(message)); };
  provider_call call;
  auto operation = json->find("operation");
  if (operation == json->end() || !operation->is_string())
    return bad("\"operation\" must be a string");
  call.operation = operation->get<std::string>();
  if (auto key = json->find("idempotency_key"); key != json->end()) {
    if (!key->is_string() || key->get<std::string>().size() > limits::idempotency_key_length_max)
      return bad("\"idempotency_key\" must be a string of at most " +
                 std::to_string(limits::idempotency_key_length_max) + " characters");
    call.idempotency_key = key->get<std::string>();
  }
  if (auto fields = json->find("fields"); fields != json->end()) {
    if (!fields->is_object())
      return bad("\"fields\" must be an object of strings");
    for (const auto& [name, value] : fields->items()) {
      if (!value.is_string())
        return bad("field \"" + name + "\" must be a string (amounts are decimal strings)");
      call.fields.emplace_back(name, value.get<std::string>());
    }
  }
  return call;
}

auto answer_call(responder respond, std::string operation) {
  return [respond = std::move(respond), operation = std::move(operation)](outcome<provider_answer> answer) {
    if (!answer)
      return respond(error_response(answer.error()));
    if (answer->outcome.ok()) {
      nlohmann::json fields = nlohmann::json::object();
      for (const auto& [name, value] : answer->outcome.fields())
        fields[name] = value;
      return respond(json_response(200, {{"provider", answer->provider},
                                         {"operation", operation},
                                         {"fields", fields},
                                         {"attempts", answer->attempts}}));
    }
    const auto& failure = answer->outcome.failure();
    // A call the supervisor found malformed never left: the caller's request is at fault.
    auto code = failure.code == "bad_call" ? error_code::bad_request : error_code_for(failure.kind);
    nlohmann::json body = {
      {"error", {{"code", std::string(to_string(code))}, {"message", answer->provider + ": " + failure.message}}},
      {"failure",
       {{"kind", std::string(to_string(failure.kind))}, {"code", failure.code}, {"message", failure.message}}},
      {"provider", answer->provider},
      {"attempts", answer->attempts}};
    respond(json_response(http_status(code), body));
  };
}

} // namespace

bool provider_handlers::available(route_context& context) const {
  if (providers_ != nullptr)
    return true;
  context.respond(error_response(make_error(error_code::not_found, "this gateway has no providers")));
  return false;
}

void provider_handlers::list(route_context& context) const {
  if (!available(context))
    return;
  nlohmann::json list = nlohmann::json::array();
  for (const auto& provider : providers_->statuses())
    list.push_back(status_json(provider));
  context.respond(json_response(200, {{"providers", list}}));
}

void provider_handlers::steer_breaker(route_context& context) const {
  if (!available(context))
    return;
  auto json = parse_json_object(context.request.body);
  if (!json)
    return context.respond(error_response(json.error()));
  auto action_field = json->find("action");
  breaker_action action{};
  if (action_field == json->end() || !action_field->is_string()
      || !breaker_action_from_string(action_field->get<std::string>(), action))
    return context.respond(error_response(
      make_error(error_code::bad_request, "\"action\" must be force_open, close, reset or disable")));
  providers_->set_breaker(context.path_param, action, [respond = std::move(context.respond)](outcome<provider_status> steered) {
    if (!steered)
      return respond(error_response(steered.error()));
    respond(json_response(200, status_json(*steered)));
  });
}

void provider_handlers::call_named(route_context& context) const {
  if (!available(context))
    return;
  auto call = parse_call_body(context.request.body);
  if (!call)
    return context.respond(error_response(call.error()));
  auto operation = call->operation;
  providers_->call(context.path_param, std::move(*call), answer_call(std::move(context.respond), std::move(operation)));
}

void provider_handlers::call_kind(route_context& context) const {
  if (!available(context))
    return;
  auto kind = provider_kind_from_string(context.path_param);
  if (!kind)
    return context.respond(error_response(
      make_error(error_code::not_found, "kind must be payments, exchange, chain or defi")));
  auto call = parse_call_body(context.request.body);
  if (!call)
    return context.respond(error_response(call.error()));
  auto operation = call->operation;
  providers_->call_kind(*kind, std::move(*call), answer_call(std::move(context.respond), std::move(operation)));
}

} // namespace ledgerflow
