// What the flow tests share: the default assets and settings, a saga as the engine would
// hold it after validation, and a look at the params and operations the flows build.
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "sagas/saga_definition.hpp"

namespace ledgerflow::testing {

inline flow_context_ptr default_context(saga_settings settings = {}) {
  return std::make_shared<const flow_context>(flow_context{asset_registry::defaults(), std::move(settings)});
}

inline std::string param_of(const saga_params& params, const std::string& name) {
  for (const auto& [key, value] : params)
    if (key == name)
      return value;
  return "<absent>";
}

// `params` with `name` set to `value` (added when absent).
inline saga_params with_param(saga_params params, const std::string& name, const std::string& value) {
  for (auto& [key, current] : params)
    if (key == name) {
      current = value;
      return params;
    }
  params.emplace_back(name, value);
  return params;
}

inline saga_params without_param(const saga_params& params, const std::string& name) {
  saga_params kept;
  for (const auto& entry : params)
    if (entry.first != name)
      kept.push_back(entry);
  return kept;
}

// A post of the user's hold `hold_id` to another account's bucket.
inline void check_post(const ledger_op& op, const std::string& hold_id, const std::string& to_account,
                       const std::string& to_bucket, minor_units amount) {
  INFO("post of " << hold_id);
  CHECK(op.what == ledger_op::kind::post);
  CHECK(op.post.hold_id == hold_id);
  CHECK(op.post.account == "user:alice");
  CHECK(op.post.to_account == to_account);
  CHECK(op.post.to_bucket == to_bucket);
  CHECK(op.post.amount == amount);
  CHECK(op.post.saga_id == "sg_test");
}

// The flow's params after validation and one step record per step, as a started saga has.
inline saga_data started_saga(const saga_definition& flow, const saga_params& given) {
  auto params = flow.validate(given);
  REQUIRE(params);
  saga_data saga;
  saga.id = "sg_test";
  saga.type = flow.type;
  saga.account = param_of(*params, "account");
  saga.params = *params;
  for (const auto& step : flow.steps) {
    saga.steps.emplace_back();
    saga.steps.back().name = step.name;
  }
  return saga;
}

inline const step_definition& step_named(const saga_definition& flow, const std::string& name) {
  for (const auto& step : flow.steps)
    if (step.name == name)
      return step;
  FAIL("no step " << name);
  return flow.steps.front();
}

inline void set_result(saga_data& saga, const std::string& step, provider_fields result) {
  auto* record = saga.find_step(step);
  REQUIRE(record != nullptr);
  record->result = std::move(result);
}

// The error code's name of a refused validation, or "accepted".
inline std::string refusal(const saga_definition& flow, const saga_params& params) {
  auto validated = flow.validate(params);
  return validated ? std::string("accepted") : std::string(to_string(validated.error().code));
}

} // namespace ledgerflow::testing
