// A saga type as data: an ordered list of steps, each with an action, a compensation, a
// deadline and a way to tell a finished poll. The flows (sagas/flows/) build these; the
// coordinator runs them and never knows which flow it runs.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocols/asset_registry.hpp"
#include "protocols/hold.hpp"
#include "protocols/outcome.hpp"
#include "protocols/provider_call.hpp"
#include "protocols/transfer.hpp"
#include "sagas/saga_data.hpp"
#include "sagas/saga_settings.hpp"

namespace ledgerflow {

// One ledger operation; its receipt's id is stored in the step's result under `result_name`.
struct ledger_op {
  enum class kind { transfer, hold, release, post };
  kind what = kind::transfer;
  std::string result_name;
  transfer_request transfer;
  hold_request hold;
  release_request release;
  post_request post;
};

struct provider_op {
  provider_kind kind = provider_kind::payments;
  std::string provider;  // a configured provider's name, or "" for any of the kind
  provider_call call;
};

// What one attempt of a step (or of its compensation) does: ledger operations, run
// together, or one provider call. Neither: there is nothing to do.
struct step_action {
  std::vector<ledger_op> ledger;
  std::optional<provider_op> provider;
  bool empty() const { return ledger.empty() && !provider; }
};

// An action, or why it cannot be built (a provider answered something unusable).
using step_plan = outcome<step_action>;

struct step_definition {
  std::string name;
  std::function<step_plan(const saga_data&)> action;
  // Undoes a succeeded step; absent or empty: nothing to undo.
  std::function<step_plan(const saga_data&)> compensation;
  // A polled step (chain confirmations) is done only when this says so; else it waits.
  std::function<bool(const saga_data&, const provider_fields&)> done_when;
  // Whether the step mutates nothing: a read runs again without a log write before it.
  bool read_only = false;
  bool confirmation_wait = false;  // uses confirmation_timeout_ms and confirmation_poll_ms
};

// What the flows read besides a saga's own data; shared by their steps' functions.
struct flow_context {
  asset_registry assets;
  saga_settings settings;
};
using flow_context_ptr = std::shared_ptr<const flow_context>;

struct saga_definition {
  std::string type;
  std::vector<step_definition> steps;
  // Checks and normalizes the params (amounts to the asset's decimals, fees computed); answers
  // the params as the saga stores them, or bad_request / unknown_asset / amount_invalid.
  std::function<outcome<saga_params>(const saga_params&)> validate;
  // Params that name a provider, and the kind it must be (checked by the engine).
  std::vector<std::pair<std::string, provider_kind>> provider_params;
};

saga_definition make_deposit_to_invest(flow_context_ptr context);
saga_definition make_invest_to_defi(flow_context_ptr context);

} // namespace ledgerflow
