// deposit_to_invest: fiat collected by the payment provider becomes an exchange asset.
//   collect  payments.collect                      undo: payments.refund
//   credit   system payments -> user banking/CCY   undo: the transfer back
//   hold     hold net and fee in banking/CCY       undo: release both
//   quote    exchange.quote (a read)
//   buy      exchange.buy for net                  undo: exchange.sell of what was bought
//   settle   post net to the exchange, fee to the fee account, deliver the asset to
//            investing/ASSET (nothing after it can fail, so nothing undoes it)
#include "sagas/flows/flow_params.hpp"

namespace ledgerflow {

namespace {

std::string banking(const saga_data& saga) { return "banking/" + saga.param("currency"); }
std::string investing(const saga_data& saga) { return "investing/" + saga.param("asset"); }

outcome<saga_params> validate(const flow_context& context, const saga_params& params) {
  if (auto names = check_param_names(params, {"account", "amount", "currency", "asset", "payment_provider", "exchange"});
      !names)
    return names.error();
  auto account = required_param(params, "account");
  auto amount_text = required_param(params, "amount");
  auto currency_code = required_param(params, "currency");
  auto asset_code = required_param(params, "asset");
  for (const auto* given : {&account, &amount_text, &currency_code, &asset_code})
    if (!*given)
      return given->error();
  if (auto user = check_user_account(*account); !user)
    return user.error();
  auto currency = find_asset(context.assets, *currency_code);
  if (!currency)
    return currency.error();
  auto asset = find_asset(context.assets, *asset_code);
  if (!asset)
    return asset.error();
  if (currency->code == asset->code)
    return make_error(error_code::bad_request, "the currency and the asset are the same");
  auto amount = parse_amount(*amount_text, currency->decimals);
  if (!amount)
    return amount.error();
  saga_params normalized{{"account", *account}, {"currency", currency->code}, {"asset", asset->code}};
  if (auto amounts = add_amounts(normalized, *amount, context.settings.deposit_fee_bps, currency->decimals); !amounts)
    return amounts.error();
  for (const char* name : {"payment_provider", "exchange"})
    for (const auto& [key, value] : params)
      if (key == name && !value.empty())
        normalized.emplace_back(key, value);
  return normalized;
}

} // namespace

saga_definition make_deposit_to_invest(flow_context_ptr context) {
  auto decimals = [context](const std::string& code) { return context->assets.find(code)->decimals; };
  auto fiat = [decimals](const saga_data& saga, std::string_view param) {
    return stored_amount(saga, param, decimals(saga.param("currency")));
  };
  saga_definition flow;
  flow.type = "deposit_to_invest";
  flow.provider_params = {{"payment_provider", provider_kind::payments}, {"exchange", provider_kind::exchange}};
  flow.validate = [context](const saga_params& params) { return validate(*context, params); };

  auto collect = named_step("collect");
  collect.action = [](const saga_data& saga) -> step_plan {
    step_action action;
    action.provider = make_call(provider_kind::payments, saga.param("payment_provider"), "collect",
                                operation_key(saga, "collect"),
                                {{"account", saga.account}, {"amount", saga.param("amount")},
                                 {"currency", saga.param("currency")}});
    return action;
  };
  collect.compensation = [](const saga_data& saga) -> step_plan {
    step_action action;
    action.provider = make_call(provider_kind::payments, saga.param("payment_provider"), "refund",
                                operation_key(saga, "refund"),
                                {{"payment_id", saga.result("collect", "payment_id")},
                                 {"amount", saga.param("amount")}, {"currency", saga.param("currency")}});
    return action;
  };

  auto credit = named_step("credit");
  credit.action = [context, fiat](const saga_data& saga) -> step_plan {
    step_action action;
    action.ledger.push_back(make_transfer(saga, "credit", context->settings.payments_account, banking(saga),
                                          saga.account, banking(saga), fiat(saga, "amount")));
    return action;
  };
  credit.compensation = [context, fiat](const saga_data& saga) -> step_plan {
    step_action action;
    action.ledger.push_back(make_transfer(saga, "credit_back", saga.account, banking(saga),
                                          context->settings.payments_account, banking(saga), fiat(saga, "amount")));
    return action;
  };

  auto hold = hold_funds_step(banking, fiat);

  auto quote = named_step("quote");
  quote.read_only = true;
  quote.action = [](const saga_data& saga) -> step_plan {
    step_action action;
    action.provider = make_call(provider_kind::exchange, saga.param("exchange"), "quote", operation_key(saga, "quote"),
                                {{"asset", saga.param("asset")}, {"currency", saga.param("currency")},
                                 {"side", "buy"}, {"amount", saga.param("net")}});
    return action;
  };

  auto buy = named_step("buy");
  buy.action = [](const saga_data& saga) -> step_plan {
    step_action action;
    action.provider = make_call(provider_kind::exchange, saga.param("exchange"), "buy", operation_key(saga, "buy"),
                                {{"asset", saga.param("asset")}, {"currency", saga.param("currency")},
                                 {"fiat_amount", saga.param("net")}, {"quote_id", saga.result("quote", "quote_id")}});
    return action;
  };
  buy.compensation = [](const saga_data& saga) -> step_plan {
    step_action action;
    action.provider = make_call(provider_kind::exchange, saga.param("exchange"), "sell", operation_key(saga, "sell"),
                                {{"asset", saga.param("asset")}, {"currency", saga.param("currency")},
                                 {"asset_amount", saga.result("buy", "asset_amount")}});
    return action;
  };

  auto settle = named_step("settle");
  settle.action = [context, fiat, decimals](const saga_data& saga) -> step_plan {
    auto bought = parse_amount(saga.result("buy", "asset_amount"), decimals(saga.param("asset")));
    if (!bought)
      return make_error(error_code::provider_error, "the exchange answered an unusable asset_amount \""
                                                      + saga.result("buy", "asset_amount") + "\"");
    const auto& settings = context->settings;
    step_action action;
    action.ledger.push_back(make_post(saga, "post", saga.result("hold", "hold_id"), settings.exchange_account,
                                      banking(saga), fiat(saga, "net")));
    if (auto fee = fiat(saga, "fee"); fee > 0)
      action.ledger.push_back(make_post(saga, "post_fee", saga.result("hold", "fee_hold_id"), settings.fees_account,
                                        banking(saga), fee));
    action.ledger.push_back(make_transfer(saga, "deliver", settings.exchange_account, investing(saga), saga.account,
                                          investing(saga), *bought));
    return action;
  };

  flow.steps = {collect, credit, hold, quote, buy, settle};
  return flow;
}

} // namespace ledgerflow
