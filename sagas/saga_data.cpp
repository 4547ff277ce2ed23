#include "sagas/saga_data.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "protocols/json_text.hpp"
#include "protocols/sha256.hpp"

namespace ledgerflow {

// Ordered: a record read back keeps its params and step results in the order they were
// written (nlohmann::json sorts object keys, so a recovered saga showed them reordered).
using json = nlohmann::ordered_json;

namespace {

const std::string empty_text;

// Appends the members of a JSON object; the caller writes the braces.
struct document_writer {
  std::string& out;
  bool first = true;

  void key(std::string_view name) {
    if (!first)
      out += ',';
    first = false;
    append_json_string(out, name);
    out += ':';
  }
  void text(std::string_view name, std::string_view value) {
    key(name);
    append_json_string(out, value);
  }
  template <class Integer>
  void number(std::string_view name, Integer value) {
    key(name);
    append_integer(out, value);
  }
  void fields(const std::vector<std::pair<std::string, std::string>>& values) {
    out += '{';
    document_writer inner{out};
    for (const auto& [name, value] : values)
      inner.text(name, value);
    out += '}';
  }
  void error(const std::optional<saga_error>& value) {
    if (!value) {
      out += "null";
      return;
    }
    out += '{';
    document_writer inner{out};
    inner.text("code", value->code);
    inner.text("message", value->message);
    out += '}';
  }
  void step(const step_record& step) {
    out += '{';
    document_writer inner{out};
    inner.text("name", step.name);
    inner.text("status", step.status);
    if (step.attempts > 0)
      inner.number("attempts", step.attempts);
    if (step.reached_provider) {
      inner.key("reached_provider");
      out += "true";
    }
    if (!step.provider.empty())
      inner.text("provider", step.provider);
    if (step.started_us != 0)
      inner.number("started_us", step.started_us);
    if (step.ended_us != 0)
      inner.number("ended_us", step.ended_us);
    if (!step.result.empty()) {
      inner.key("result");
      inner.fields(step.result);
    }
    if (step.error) {
      inner.key("error");
      inner.error(step.error);
    }
    if (step.compensation) {
      const auto& compensation = *step.compensation;
      inner.key("compensation");
      out += '{';
      document_writer comp{out};
      comp.text("status", compensation.status);
      comp.number("attempts", compensation.attempts);
      comp.number("started_us", compensation.started_us);
      if (compensation.ended_us != 0)
        comp.number("ended_us", compensation.ended_us);
      if (compensation.error) {
        comp.key("error");
        comp.error(compensation.error);
      }
      out += '}';
    }
    out += '}';
  }
};

std::optional<saga_error> error_from(const json& value) {
  if (!value.is_object())
    return std::nullopt;
  return saga_error{value.value("code", ""), value.value("message", "")};
}

provider_fields fields_from(const json& object) {
  provider_fields fields;
  if (object.is_object())
    for (const auto& [name, value] : object.items())
      fields.emplace_back(name, value.is_string() ? value.get<std::string>() : value.dump());
  return fields;
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

// Written by hand, not through a nlohmann::json tree: a saga writes its record before every
// step, so this runs several times per saga on the hot path. Step fields at their defaults
// are left out (from_document reads them back as defaults), which keeps records short.
std::string to_document(const saga_data& saga) {
  std::string out;
  out.reserve(1024);
  document_writer doc{out};
  out += '{';
  doc.text("id", saga.id);
  doc.text("type", saga.type);
  doc.text("state", saga.state);
  doc.text("account", saga.account);
  doc.text("idempotency_key", saga.idempotency_key);
  doc.text("request_hash", saga.request_hash);
  doc.key("params");
  doc.fields(saga.params);
  const bool running = saga.current < saga.steps.size();
  doc.text("step", running ? saga.steps[saga.current].name : std::string());
  doc.number("current", saga.current);
  doc.text("direction", saga.backward ? "backward" : "forward");
  doc.text("waiting_for", saga.waiting_for);
  doc.key("steps");
  out += '[';
  for (size_t index = 0; index < saga.steps.size(); ++index) {
    if (index > 0)
      out += ',';
    doc.step(saga.steps[index]);
  }
  out += ']';
  doc.key("error");
  doc.error(saga.error);
  doc.key("cause");
  doc.error(saga.cause);
  doc.number("version", saga.version);
  doc.number("created_us", saga.created_us);
  doc.number("updated_us", saga.updated_us);
  out += '}';
  return out;
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
  // Bound to a name first: items() of the temporary that value() returns would outlive it.
  const auto params = parsed.value("params", json::object());
  for (const auto& [name, value] : params.items())
    saga.params.emplace_back(name, value.is_string() ? value.get<std::string>() : value.dump());
  for (const auto& step : parsed.value("steps", json::array()))
    saga.steps.push_back(step_from(step));
  saga.current = parsed.value("current", size_t{0});
  saga.backward = parsed.value("direction", "forward") == "backward";
  saga.waiting_for = parsed.value("waiting_for", "");
  saga.error = error_from(parsed.value("error", json()));
  saga.cause = error_from(parsed.value("cause", json()));
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
