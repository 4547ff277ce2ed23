#include "gateway/saga_body.hpp"

#include <array>

#include "gateway/json_body.hpp"
#include "gateway/query_params.hpp"
#include "protocols/account_id.hpp"
#include "protocols/limits.hpp"

namespace ledgerflow {

namespace {

error bad(std::string message) {
  return make_error(error_code::bad_request, std::move(message));
}

// A required, non-empty string field of at most `length_max` characters.
outcome<std::string> string_field(const nlohmann::json& object, const char* name, size_t length_max) {
  auto field = object.find(name);
  if (field == object.end() || !field->is_string() || field->get_ref<const std::string&>().empty()
      || field->get_ref<const std::string&>().size() > length_max)
    return bad(std::string("\"") + name + "\" must be a non-empty string of at most " + std::to_string(length_max)
               + " characters");
  return field->get<std::string>();
}

outcome<saga_params> parse_params(const nlohmann::json& object) {
  auto params = object.find("params");
  if (params == object.end() || !params->is_object())
    return bad("\"params\" must be an object of strings (amounts are decimal strings)");
  if (params->size() > saga_params_max)
    return bad("\"params\" has more than " + std::to_string(saga_params_max) + " entries");
  saga_params parsed;
  bool has_account = false;
  for (const auto& [name, value] : params->items()) {
    if (name.empty() || name.size() > saga_param_name_length_max)
      return bad("a param name must have 1 to " + std::to_string(saga_param_name_length_max) + " characters");
    if (!value.is_string())
      return bad("param \"" + name + "\" must be a string (amounts are decimal strings)");
    const auto& text = value.get_ref<const std::string&>();
    if (text.size() > saga_param_value_length_max)
      return bad("param \"" + name + "\" is longer than " + std::to_string(saga_param_value_length_max)
                 + " characters");
    if (name == "account") {
      if (auto kind = parse_account_id(text); !kind)
        return kind.error();
      has_account = true;
    }
    parsed.emplace_back(name, text);
  }
  if (!has_account)
    return bad("param \"account\" is required: the account the saga moves money for");
  return parsed;
}

} // namespace

bool is_saga_state(std::string_view state) {
  static constexpr std::array<std::string_view, 7> states = {"running",   "waiting",     "paused", "compensating",
                                                             "completed", "compensated", "failed"};
  for (auto known : states)
    if (known == state)
      return true;
  return false;
}

outcome<saga_start_request> parse_saga_start_body(std::string_view body) {
  auto json = parse_json_object(body);
  if (!json)
    return json.error();
  saga_start_request request;
  auto type = string_field(*json, "type", saga_type_length_max);
  if (!type)
    return type.error();
  request.type = std::move(*type);
  auto key = string_field(*json, "idempotency_key", limits::idempotency_key_length_max);
  if (!key)
    return key.error();
  request.idempotency_key = std::move(*key);
  auto params = parse_params(*json);
  if (!params)
    return params.error();
  request.params = std::move(*params);
  return request;
}

std::string saga_start_account(const saga_start_request& request) {
  for (const auto& [name, value] : request.params)
    if (name == "account")
      return value;
  return {};
}

outcome<saga_filter> parse_saga_filter(std::string_view query) {
  auto params = query_params::parse(query);
  if (!params)
    return params.error();
  saga_filter filter;
  if (auto state = params->find("state"); state && !state->empty()) {
    if (!is_saga_state(*state))
      return bad("state must be running, waiting, paused, compensating, completed, compensated or failed");
    filter.state = std::string(*state);
  }
  if (auto type = params->find("type"); type && !type->empty()) {
    if (type->size() > saga_type_length_max)
      return bad("type is longer than " + std::to_string(saga_type_length_max) + " characters");
    filter.type = std::string(*type);
  }
  if (auto account = params->find("account"); account && !account->empty()) {
    if (auto kind = parse_account_id(*account); !kind)
      return kind.error();
    filter.account = std::string(*account);
  }
  auto limit = params->unsigned_value("limit", saga_list_limit_default, 1, saga_list_limit_max);
  if (!limit)
    return limit.error();
  filter.limit = static_cast<size_t>(*limit);
  return filter;
}

} // namespace ledgerflow
