#include "sagas/flows/flow_params.hpp"

#include <algorithm>
#include <set>

#include "protocols/account_id.hpp"

namespace ledgerflow {

outcome<std::string> required_param(const saga_params& params, std::string_view name) {
  for (const auto& [key, value] : params)
    if (key == name) {
      if (value.empty())
        break;
      return value;
    }
  return make_error(error_code::bad_request, "the param \"" + std::string(name) + "\" is required");
}

status check_param_names(const saga_params& params, std::initializer_list<std::string_view> known) {
  std::set<std::string_view> seen;
  for (const auto& [key, value] : params) {
    if (std::find(known.begin(), known.end(), key) == known.end())
      return make_error(error_code::bad_request, "unknown param \"" + key + "\"");
    if (!seen.insert(key).second)
      return make_error(error_code::bad_request, "the param \"" + key + "\" is given twice");
    if (value.size() > 256 || std::any_of(value.begin(), value.end(), [](char c) { return c >= 0 && c < 0x20; }))
      return make_error(error_code::bad_request, "the param \"" + key + "\" is too long or has control characters");
  }
  return done{};
}

status check_user_account(const std::string& account) {
  auto kind = parse_account_id(account);
  if (!kind)
    return kind.error();
  if (*kind != account_kind::user)
    return make_error(error_code::bad_request, "a saga moves a user's money: \"" + account + "\" is not a user account");
  return done{};
}

outcome<asset> find_asset(const asset_registry& assets, const std::string& code) {
  auto found = assets.find(code);
  if (!found)
    return make_error(error_code::unknown_asset, "no asset \"" + code + "\" is configured");
  return *found;
}

minor_units fee_of(minor_units amount, uint32_t bps) {
  // amount * bps / 10000 without forming amount * bps (which could overflow 128 bits).
  return amount / 10'000 * bps + amount % 10'000 * bps / 10'000;
}

status add_amounts(saga_params& normalized, minor_units amount, uint32_t fee_bps, int decimals) {
  auto fee = fee_of(amount, fee_bps);
  if (amount - fee <= 0)
    return make_error(error_code::amount_invalid, "nothing is left of the amount once the fee is taken");
  normalized.emplace_back("amount", format_amount(amount, decimals));
  normalized.emplace_back("fee", format_amount(fee, decimals));
  normalized.emplace_back("net", format_amount(amount - fee, decimals));
  return done{};
}

minor_units stored_amount(const saga_data& saga, std::string_view param, int decimals) {
  const auto& text = saga.param(param);
  if (text == format_amount(0, decimals))
    return 0;  // a zero fee: parse_amount refuses zero
  auto parsed = parse_amount(text, decimals);
  return parsed ? *parsed : 0;
}

std::string operation_key(const saga_data& saga, std::string_view suffix) {
  return saga.id + ":" + std::string(suffix);
}

ledger_op make_transfer(const saga_data& saga, std::string_view key_suffix, std::string from_account,
                        std::string from_bucket, std::string to_account, std::string to_bucket, minor_units amount) {
  ledger_op op;
  op.what = ledger_op::kind::transfer;
  op.result_name = std::string(key_suffix) + "_transfer_id";
  op.transfer = transfer_request{operation_key(saga, key_suffix), std::move(from_account), std::move(from_bucket),
                                 std::move(to_account), std::move(to_bucket), amount, saga.id};
  return op;
}

ledger_op make_hold(const saga_data& saga, std::string_view key_suffix, std::string result_name, std::string bucket,
                    minor_units amount) {
  ledger_op op;
  op.what = ledger_op::kind::hold;
  op.result_name = std::move(result_name);
  op.hold = hold_request{operation_key(saga, key_suffix), saga.account, std::move(bucket), amount, saga.id};
  return op;
}

ledger_op make_release(const saga_data& saga, std::string_view key_suffix, std::string hold_id) {
  ledger_op op;
  op.what = ledger_op::kind::release;
  op.result_name = std::string(key_suffix) + "_id";
  op.release = release_request{operation_key(saga, key_suffix), saga.account, std::move(hold_id), saga.id};
  return op;
}

ledger_op make_post(const saga_data& saga, std::string_view key_suffix, std::string hold_id, std::string to_account,
                    std::string to_bucket, minor_units amount) {
  ledger_op op;
  op.what = ledger_op::kind::post;
  op.result_name = std::string(key_suffix) + "_transfer_id";
  op.post = post_request{operation_key(saga, key_suffix), saga.account,        std::move(hold_id),
                         std::move(to_account),          std::move(to_bucket), amount, saga.id};
  return op;
}

step_definition named_step(std::string name) {
  step_definition step;
  step.name = std::move(name);
  return step;
}

step_definition hold_funds_step(bucket_of_saga bucket, amount_of_saga amount) {
  auto hold = named_step("hold");
  hold.action = [bucket, amount](const saga_data& saga) -> step_plan {
    step_action action;
    action.ledger.push_back(make_hold(saga, "hold", "hold_id", bucket(saga), amount(saga, "net")));
    if (auto fee = amount(saga, "fee"); fee > 0)
      action.ledger.push_back(make_hold(saga, "hold_fee", "fee_hold_id", bucket(saga), fee));
    return action;
  };
  hold.compensation = [](const saga_data& saga) -> step_plan {
    step_action action;  // a hold that failed in part: only the holds that were placed
    if (const auto& hold_id = saga.result("hold", "hold_id"); !hold_id.empty())
      action.ledger.push_back(make_release(saga, "release", hold_id));
    if (const auto& fee_hold = saga.result("hold", "fee_hold_id"); !fee_hold.empty())
      action.ledger.push_back(make_release(saga, "release_fee", fee_hold));
    return action;
  };
  return hold;
}

provider_op make_call(provider_kind kind, std::string provider, std::string operation, std::string key,
                      provider_fields fields) {
  return provider_op{kind, std::move(provider), provider_call{std::move(operation), std::move(key), std::move(fields)}};
}

} // namespace ledgerflow
