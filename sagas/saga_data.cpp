#include "sagas/saga_data.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "protocols/sha256.hpp"

namespace ledgerflow {

using json = nlohmann::json;

namespace {

const std::string empty_text;

json error_json(const std::optional<saga_error>& error) {
  if (!error)
    return nullptr;
  return json{{"code", error->code}, {"message", error->message}};
}

std::optional<saga_error> error_from(const json& value) {
  if (!value.is_object())
    return std::nullopt;
  return saga_error{value.value("code", ""), value.value("message", "")};
}

json fields_json(const provider_fields& fields) {
  auto object = json::object();
  for (const auto& [name, value] : fields)
    object[name] = value;
  return object;
}

provider_fields fields_from(const json& object) {
  provider_fields fields;
  if (object.is_object())
    for (const auto& [name, value] : object.items())
      fields.emplace_back(name, value.is_string() ? value.get<std::string>() : value.dump());
  return fields;
}

json compensation_json(const std::optional<compensation_record>& compensation) {
  if (!compensation)
    return nullptr;
  return json{{"status", compensation->status},         {"attempts", compensation->attempts},
              {"started_us", compensation->started_us}, {"ended_us", compensation->ended_us},
              {"error", error_json(compensation->error)}};
}

std::optional<compensation_record> compensation_from(const json& value) {
  if (!value.is_object())
    return std::nullopt;
  compensation_record compensation;
  compensation.status = value.value("status", "running");
  compensation.attempts = value.value("attempts", 0u);
  compensation.started_us = value.value("started_us", int64_t{0});
  compensation.ended_us = value.value("ended_us", int64_t{0});
  compensation.error = error_from(value.value("error", json()));
  return compensation;
}

json step_json(const step_record& step) {
  return json{{"name", step.name},
              {"status", step.status},
              {"attempts", step.attempts},
              {"reached_provider", step.reached_provider},
              {"provider", step.provider},
              {"started_us", step.started_us},
              {"ended_us", step.ended_us},
              {"result", fields_json(step.result)},
              {"error", error_json(step.error)},
              {"compensation", compensation_json(step.compensation)}};
}

step_record step_from(const json& value) {
  step_record step;
  step.name = value.value("name", "");
  step.status = value.value("status", "pending");
  step.attempts = value.value("attempts", 0u);
  step.reached_provider = value.value("reached_provider", false);
  step.provider = value.value("provider", "");
  step.started_us = value.value("started_us", int64_t{0});
  step.ended_us = value.value("ended_us", int64_t{0});
  step.result = fields_from(value.value("result", json::object()));
  step.error = error_from(value.value("error", json()));
  step.compensation = compensation_from(value.value("compensation", json()));
  return step;
}

} // namespace

const std::string& saga_data::param(std::string_view name) const {
  for (const auto& [key, value] : params)
    if (key == name)
      return value;
  return empty_text;
}

const std::string& saga_data::result(std::string_view step, std::string_view field) const {
  for (const auto& record : steps)
    if (record.name == step) {
      const auto* value = find_field(record.result, field);
      return value != nullptr ? *value : empty_text;
    }
  return empty_text;
}

step_record* saga_data::find_step(std::string_view name) {
  for (auto& record : steps)
    if (record.name == name)
      return &record;
  return nullptr;
}

std::string saga_id_for_key(const std::string& idempotency_key) {
  return "sg_" + sha256_hex(idempotency_key).substr(0, 32);
}

std::string saga_request_hash(const std::string& type, const saga_params& params) {
  auto sorted = params;
  std::sort(sorted.begin(), sorted.end());
  // '\n' ends every field and no field may contain it (params are checked by the flows).
  std::string canonical = type + '\n';
  for (const auto& [name, value] : sorted)
    canonical += name + '\n' + value + '\n';
  return sha256_hex(canonical);
}

std::string to_document(const saga_data& saga) {
  auto steps = json::array();
  for (const auto& step : saga.steps)
    steps.push_back(step_json(step));
  auto params = json::object();
  for (const auto& [name, value] : saga.params)
    params[name] = value;
  const bool running = saga.current < saga.steps.size();
  return json{{"id", saga.id},
              {"type", saga.type},
              {"state", saga.state},
              {"account", saga.account},
              {"idempotency_key", saga.idempotency_key},
              {"request_hash", saga.request_hash},
              {"params", params},
              {"step", running ? saga.steps[saga.current].name : ""},
              {"current", saga.current},
              {"direction", saga.backward ? "backward" : "forward"},
              {"waiting_for", saga.waiting_for},
              {"steps", steps},
              {"error", error_json(saga.error)},
              {"version", saga.version},
              {"created_us", saga.created_us},
              {"updated_us", saga.updated_us}}
    .dump();
}

outcome<saga_data> from_document(const std::string& document) {
  auto parsed = json::parse(document, nullptr, false);
  if (!parsed.is_object())
    return make_error(error_code::internal, "a saga record's document is not a JSON object");
  saga_data saga;
  saga.id = parsed.value("id", "");
  saga.type = parsed.value("type", "");
  saga.state = parsed.value("state", "running");
  saga.account = parsed.value("account", "");
  saga.idempotency_key = parsed.value("idempotency_key", "");
  saga.request_hash = parsed.value("request_hash", "");
  for (const auto& [name, value] : parsed.value("params", json::object()).items())
    saga.params.emplace_back(name, value.is_string() ? value.get<std::string>() : value.dump());
  for (const auto& step : parsed.value("steps", json::array()))
    saga.steps.push_back(step_from(step));
  saga.current = parsed.value("current", size_t{0});
  saga.backward = parsed.value("direction", "forward") == "backward";
  saga.waiting_for = parsed.value("waiting_for", "");
  saga.error = error_from(parsed.value("error", json()));
  saga.version = parsed.value("version", uint64_t{0});
  saga.created_us = parsed.value("created_us", int64_t{0});
  saga.updated_us = parsed.value("updated_us", int64_t{0});
  if (saga.id.empty() || saga.type.empty() || saga.steps.empty())
    return make_error(error_code::internal, "a saga record lacks its id, type or steps");
  return saga;
}

saga_record to_record(const saga_data& saga) {
  return saga_record{saga.id,         saga.type,    saga.state,      saga.account,    saga.idempotency_key,
                     saga.request_hash, saga.version, saga.created_us, saga.updated_us, to_document(saga)};
}

} // namespace ledgerflow
