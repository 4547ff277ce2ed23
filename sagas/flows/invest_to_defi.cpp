// invest_to_defi: an exchange asset becomes a position in a DeFi protocol.
//   hold      hold net and fee in investing/ASSET      undo: release both
//   withdraw  chain.withdraw to the protocol            undo: chain.withdraw back to custody
//   confirm   chain.confirmations until N (a poll; the saga waits meanwhile)
//   supply    defi.supply into the protocol             undo: defi.withdraw
//   settle    post net to the user's defi/<protocol>:ASSET, the fee to the fee account
#include <cctype>

#include "sagas/flows/flow_params.hpp"

namespace ledgerflow {

namespace {

std::string investing(const saga_data& saga) { return "investing/" + saga.param("asset"); }
std::string position(const saga_data& saga) { return "defi/" + saga.param("protocol") + ":" + saga.param("asset"); }

bool valid_protocol(const std::string& name) {
  if (name.empty() || name.size() > 32)
    return false;
  for (char c : name)
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_'))
      return false;
  return true;
}

outcome<saga_params> validate(const flow_context& context, const saga_params& params) {
  if (auto names = check_param_names(
        params, {"account", "asset", "amount", "protocol", "chain_provider", "defi_provider", "confirmations"});
      !names)
    return names.error();
  auto account = required_param(params, "account");
  auto asset_code = required_param(params, "asset");
  auto amount_text = required_param(params, "amount");
  auto protocol = required_param(params, "protocol");
  for (const auto* given : {&account, &asset_code, &amount_text, &protocol})
    if (!*given)
      return given->error();
  if (auto user = check_user_account(*account); !user)
    return user.error();
  auto asset = find_asset(context.assets, *asset_code);
  if (!asset)
    return asset.error();
  if (!valid_protocol(*protocol))
    return make_error(error_code::bad_request, "the protocol must be 1 to 32 of [a-z0-9_]");
  auto amount = parse_amount(*amount_text, asset->decimals);
  if (!amount)
    return amount.error();
  uint64_t confirmations = context.settings.confirmations;
  for (const auto& [key, value] : params)
    if (key == "confirmations") {
      auto parsed = parse_decimal_integer(value);
      if (!parsed || *parsed < 0 || *parsed > 1000)
        return make_error(error_code::bad_request, "confirmations must be an integer from 0 to 1000");
      confirmations = static_cast<uint64_t>(*parsed);
    }
  saga_params normalized{{"account", *account},
                         {"asset", asset->code},
                         {"protocol", *protocol},
                         {"confirmations", std::to_string(confirmations)}};
  if (auto amounts = add_amounts(normalized, *amount, context.settings.defi_fee_bps, asset->decimals); !amounts)
    return amounts.error();
  for (const char* name : {"chain_provider", "defi_provider"})
    for (const auto& [key, value] : params)
      if (key == name && !value.empty())
        normalized.emplace_back(key, value);
  return normalized;
}

// The chain provider the withdrawal went through: only it knows the transaction.
std::string withdrawal_provider(const saga_data& saga) {
  for (const auto& step : saga.steps)
    if (step.name == "withdraw" && !step.provider.empty())
      return step.provider;
  return saga.param("chain_provider");
}

} // namespace

saga_definition make_invest_to_defi(flow_context_ptr context) {
  auto units = [context](const saga_data& saga, std::string_view param) {
    return stored_amount(saga, param, context->assets.find(saga.param("asset"))->decimals);
  };
  saga_definition flow;
  flow.type = "invest_to_defi";
  flow.provider_params = {{"chain_provider", provider_kind::chain}, {"defi_provider", provider_kind::defi}};
  flow.validate = [context](const saga_params& params) { return validate(*context, params); };

  auto hold = hold_funds_step(investing, units);

  auto withdraw = named_step("withdraw");
  withdraw.action = [](const saga_data& saga) -> step_plan {
    step_action action;
    action.provider = make_call(provider_kind::chain, saga.param("chain_provider"), "withdraw",
                                operation_key(saga, "withdraw"),
                                {{"asset", saga.param("asset")}, {"amount", saga.param("net")},
                                 {"address", "defi:" + saga.param("protocol")}});
    return action;
  };
  withdraw.compensation = [](const saga_data& saga) -> step_plan {
    step_action action;
    action.provider = make_call(provider_kind::chain, withdrawal_provider(saga), "withdraw",
                                operation_key(saga, "withdraw_back"),
                                {{"asset", saga.param("asset")}, {"amount", saga.param("net")},
                                 {"address", "custody:" + saga.account}});
    return action;
  };

  auto confirm = named_step("confirm");
  confirm.read_only = true;
  confirm.confirmation_wait = true;
  confirm.action = [](const saga_data& saga) -> step_plan {
    step_action action;
    if (saga.param("confirmations") == "0")
      return action;  // nothing to wait for: the step is skipped
    action.provider = make_call(provider_kind::chain, withdrawal_provider(saga), "confirmations",
                                operation_key(saga, "confirmations"),
                                {{"tx_id", saga.result("withdraw", "tx_id")}});
    return action;
  };
  confirm.done_when = [](const saga_data& saga, const provider_fields& result) {
    const auto* seen = find_field(result, "confirmations");
    auto count = seen != nullptr ? parse_decimal_integer(*seen) : outcome<minor_units>(0);
    auto wanted = parse_decimal_integer(saga.param("confirmations"));
    return count && wanted && *count >= *wanted;
  };

  auto supply = named_step("supply");
  supply.action = [](const saga_data& saga) -> step_plan {
    step_action action;
    action.provider = make_call(provider_kind::defi, saga.param("defi_provider"), "supply",
                                operation_key(saga, "supply"),
                                {{"protocol", saga.param("protocol")}, {"asset", saga.param("asset")},
                                 {"amount", saga.param("net")}});
    return action;
  };
  supply.compensation = [](const saga_data& saga) -> step_plan {
    step_action action;
    action.provider = make_call(provider_kind::defi, saga.param("defi_provider"), "withdraw",
                                operation_key(saga, "supply_back"),
                                {{"protocol", saga.param("protocol")}, {"asset", saga.param("asset")},
                                 {"amount", saga.param("net")}});
    return action;
  };

  auto settle = named_step("settle");
  settle.action = [context, units](const saga_data& saga) -> step_plan {
    step_action action;
    action.ledger.push_back(
      make_post(saga, "post", saga.result("hold", "hold_id"), saga.account, position(saga), units(saga, "net")));
    if (auto fee = units(saga, "fee"); fee > 0)
      action.ledger.push_back(make_post(saga, "post_fee", saga.result("hold", "fee_hold_id"),
                                        context->settings.fees_account, investing(saga), fee));
    return action;
  };

  flow.steps = {hold, withdraw, confirm, supply, settle};
  return flow;
}

} // namespace ledgerflow
