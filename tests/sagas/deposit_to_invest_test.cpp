// deposit_to_invest: its params checked and normalized, and the operations each step builds.
#include <doctest/doctest.h>

#include "sagas/flows/flow_params.hpp"
#include "tests/sagas/flow_fixture.hpp"

using namespace ledgerflow;
using namespace ledgerflow::testing;

namespace {

saga_params deposit_params(const std::string& amount = "100") {
  return {{"account", "user:alice"}, {"amount", amount}, {"currency", "USD"}, {"asset", "BTC"}};
}

// A deposit saga whose collect, hold, quote and buy have answered.
saga_data answered_saga(const saga_definition& flow, const std::string& amount = "100") {
  auto saga = started_saga(flow, deposit_params(amount));
  set_result(saga, "collect", {{"payment_id", "pay_1"}});
  set_result(saga, "hold", {{"hold_id", "h_net"}, {"fee_hold_id", "h_fee"}});
  set_result(saga, "quote", {{"quote_id", "q_1"}});
  set_result(saga, "buy", {{"asset_amount", "0.00150000"}});
  return saga;
}

} // namespace

TEST_CASE("deposit_to_invest: validate normalizes the amount and adds fee and net at 25 bps") {
  auto flow = make_deposit_to_invest(default_context());
  auto params = flow.validate(with_param(deposit_params("100"), "exchange", "ex-a"));
  REQUIRE(params);
  CHECK(param_of(*params, "account") == "user:alice");
  CHECK(param_of(*params, "amount") == "100.00");
  CHECK(param_of(*params, "fee") == "0.25");
  CHECK(param_of(*params, "net") == "99.75");
  CHECK(param_of(*params, "currency") == "USD");
  CHECK(param_of(*params, "asset") == "BTC");
  CHECK(param_of(*params, "exchange") == "ex-a");
  CHECK(param_of(*params, "payment_provider") == "<absent>");  // not given: any of the kind

  // A currency with 8 decimals is normalized to 8.
  auto btc = flow.validate({{"account", "user:bob"}, {"amount", "1.5"}, {"currency", "BTC"}, {"asset", "ETH"}});
  REQUIRE(btc);
  CHECK(param_of(*btc, "amount") == "1.50000000");
  CHECK(param_of(*btc, "fee") == "0.00375000");
  CHECK(param_of(*btc, "net") == "1.49625000");

  // Below one minor unit of fee: the fee rounds down to zero.
  auto small = flow.validate(deposit_params("0.03"));
  REQUIRE(small);
  CHECK(param_of(*small, "fee") == "0.00");
  CHECK(param_of(*small, "net") == "0.03");
}

TEST_CASE("deposit_to_invest: validate refuses what a saga cannot run") {
  auto flow = make_deposit_to_invest(default_context());
  CHECK(refusal(flow, deposit_params()) == "accepted");
  CHECK(refusal(flow, with_param(deposit_params(), "colour", "red")) == "bad_request");
  for (const char* name : {"account", "amount", "currency", "asset"}) {
    INFO(name);
    auto missing = flow.validate(without_param(deposit_params(), name));
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == error_code::bad_request);
    CHECK(missing.error().message.find(name) != std::string::npos);
    CHECK(refusal(flow, with_param(deposit_params(), name, "")) == "bad_request");
  }
  auto repeated = deposit_params();
  repeated.emplace_back("amount", "5");
  CHECK(refusal(flow, repeated) == "bad_request");
  CHECK(refusal(flow, with_param(deposit_params(), "exchange", "ex\nb")) == "bad_request");
  CHECK(refusal(flow, with_param(deposit_params(), "account", "system:payments")) == "bad_request");
  CHECK(refusal(flow, with_param(deposit_params(), "account", "alice")) != "accepted");
  CHECK(refusal(flow, with_param(deposit_params(), "asset", "DOGE")) == "unknown_asset");
  CHECK(refusal(flow, with_param(deposit_params(), "currency", "XYZ")) == "unknown_asset");
  CHECK(refusal(flow, with_param(deposit_params(), "asset", "USD")) == "bad_request");
  for (const char* amount : {"0", "0.00", "-5", "abc", "1e3", " 5", "100.001", "1,5"}) {
    INFO(amount);
    CHECK(refusal(flow, deposit_params(amount)) == "amount_invalid");
  }
  // A fee of the whole amount leaves nothing to invest.
  saga_settings greedy;
  greedy.deposit_fee_bps = 10'000;
  CHECK(refusal(make_deposit_to_invest(default_context(greedy)), deposit_params()) == "amount_invalid");
}

TEST_CASE("fee_of: rounds down and does not overflow near minor_units_max") {
  CHECK(fee_of(10'000, 25) == 25);
  CHECK(fee_of(10'001, 25) == 25);
  CHECK(fee_of(399, 25) == 0);
  CHECK(fee_of(400, 25) == 1);
  CHECK(fee_of(12'345, 0) == 0);
  CHECK(fee_of(12'345, 10'000) == 12'345);
  CHECK(fee_of(minor_units_max, 10'000) == minor_units_max);
  CHECK(fee_of(minor_units_max, 25) == minor_units_max / 400);
  CHECK(fee_of(minor_units_max, 9'999) < minor_units_max);
  CHECK(fee_of(minor_units_max, 9'999) > minor_units_max / 10'000 * 9'998);
}

TEST_CASE("deposit_to_invest: collect calls the payment provider with the saga's key") {
  auto flow = make_deposit_to_invest(default_context());
  auto saga = answered_saga(flow);
  auto plan = step_named(flow, "collect").action(saga);
  REQUIRE(plan);
  REQUIRE(plan->provider);
  CHECK(plan->ledger.empty());
  CHECK(plan->provider->kind == provider_kind::payments);
  CHECK(plan->provider->provider.empty());
  CHECK(plan->provider->call.operation == "collect");
  CHECK(plan->provider->call.idempotency_key == "sg_test:collect");
  CHECK(plan->provider->call.fields
        == provider_fields{{"account", "user:alice"}, {"amount", "100.00"}, {"currency", "USD"}});
  auto refund = step_named(flow, "collect").compensation(saga);
  REQUIRE(refund);
  REQUIRE(refund->provider);
  CHECK(refund->provider->call.operation == "refund");
  CHECK(*find_field(refund->provider->call.fields, "payment_id") == "pay_1");
}

TEST_CASE("deposit_to_invest: credit moves the amount from system:payments to the user's banking/USD") {
  auto flow = make_deposit_to_invest(default_context());
  auto saga = answered_saga(flow);
  auto plan = step_named(flow, "credit").action(saga);
  REQUIRE(plan);
  REQUIRE(plan->ledger.size() == 1);
  const auto& op = plan->ledger[0];
  CHECK(op.what == ledger_op::kind::transfer);
  CHECK(op.transfer.idempotency_key == "sg_test:credit");
  CHECK(op.transfer.from_account == "system:payments");
  CHECK(op.transfer.from_bucket == "banking/USD");
  CHECK(op.transfer.to_account == "user:alice");
  CHECK(op.transfer.to_bucket == "banking/USD");
  CHECK(op.transfer.amount == 10'000);
  CHECK(op.transfer.saga_id == "sg_test");
  auto back = step_named(flow, "credit").compensation(saga);
  REQUIRE(back);
  REQUIRE(back->ledger.size() == 1);
  CHECK(back->ledger[0].transfer.from_account == "user:alice");
  CHECK(back->ledger[0].transfer.to_account == "system:payments");
  CHECK(back->ledger[0].transfer.amount == 10'000);
}

TEST_CASE("deposit_to_invest: hold places net and fee, the fee only when there is one") {
  auto flow = make_deposit_to_invest(default_context());
  auto saga = answered_saga(flow);
  auto plan = step_named(flow, "hold").action(saga);
  REQUIRE(plan);
  REQUIRE(plan->ledger.size() == 2);
  CHECK(plan->ledger[0].what == ledger_op::kind::hold);
  CHECK(plan->ledger[0].result_name == "hold_id");
  CHECK(plan->ledger[0].hold.account == "user:alice");
  CHECK(plan->ledger[0].hold.bucket == "banking/USD");
  CHECK(plan->ledger[0].hold.amount == 9'975);
  CHECK(plan->ledger[0].hold.idempotency_key == "sg_test:hold");
  CHECK(plan->ledger[1].result_name == "fee_hold_id");
  CHECK(plan->ledger[1].hold.amount == 25);

  saga_settings free;
  free.deposit_fee_bps = 0;
  auto free_flow = make_deposit_to_invest(default_context(free));
  auto no_fee = step_named(free_flow, "hold").action(answered_saga(free_flow));
  REQUIRE(no_fee);
  REQUIRE(no_fee->ledger.size() == 1);
  CHECK(no_fee->ledger[0].hold.amount == 10'000);
}

TEST_CASE("deposit_to_invest: hold's compensation releases only the holds that were placed") {
  auto flow = make_deposit_to_invest(default_context());
  const auto& hold = step_named(flow, "hold");
  auto saga = answered_saga(flow);
  auto both = hold.compensation(saga);
  REQUIRE(both);
  REQUIRE(both->ledger.size() == 2);
  CHECK(both->ledger[0].what == ledger_op::kind::release);
  CHECK(both->ledger[0].release.hold_id == "h_net");
  CHECK(both->ledger[0].release.account == "user:alice");
  CHECK(both->ledger[1].release.hold_id == "h_fee");
  CHECK(both->ledger[0].release.idempotency_key != both->ledger[1].release.idempotency_key);

  set_result(saga, "hold", {{"hold_id", "h_net"}});  // the fee hold never happened
  auto net_only = hold.compensation(saga);
  REQUIRE(net_only);
  REQUIRE(net_only->ledger.size() == 1);
  CHECK(net_only->ledger[0].release.hold_id == "h_net");

  set_result(saga, "hold", {});
  auto none = hold.compensation(saga);
  REQUIRE(none);
  CHECK(none->empty());
}

TEST_CASE("deposit_to_invest: quote and buy ask the exchange for the net amount") {
  auto flow = make_deposit_to_invest(default_context());
  auto saga = answered_saga(flow);
  CHECK(step_named(flow, "quote").read_only);
  auto quote = step_named(flow, "quote").action(saga);
  REQUIRE(quote);
  REQUIRE(quote->provider);
  CHECK(quote->provider->kind == provider_kind::exchange);
  CHECK(*find_field(quote->provider->call.fields, "amount") == "99.75");
  auto buy = step_named(flow, "buy").action(saga);
  REQUIRE(buy);
  REQUIRE(buy->provider);
  CHECK(buy->provider->call.operation == "buy");
  CHECK(buy->provider->call.idempotency_key == "sg_test:buy");
  CHECK(*find_field(buy->provider->call.fields, "fiat_amount") == "99.75");
  CHECK(*find_field(buy->provider->call.fields, "quote_id") == "q_1");
  auto sell = step_named(flow, "buy").compensation(saga);
  REQUIRE(sell);
  CHECK(sell->provider->call.operation == "sell");
  CHECK(*find_field(sell->provider->call.fields, "asset_amount") == "0.00150000");
}

TEST_CASE("deposit_to_invest: settle posts net and fee and delivers what was bought") {
  auto flow = make_deposit_to_invest(default_context());
  auto saga = answered_saga(flow);
  auto plan = step_named(flow, "settle").action(saga);
  REQUIRE(plan);
  REQUIRE(plan->ledger.size() == 3);
  check_post(plan->ledger[0], "h_net", "system:exchange", "banking/USD", 9'975);
  check_post(plan->ledger[1], "h_fee", "system:fees", "banking/USD", 25);
  const auto& deliver = plan->ledger[2];
  CHECK(deliver.what == ledger_op::kind::transfer);
  CHECK(deliver.transfer.from_account == "system:exchange");
  CHECK(deliver.transfer.from_bucket == "investing/BTC");
  CHECK(deliver.transfer.to_account == "user:alice");
  CHECK(deliver.transfer.to_bucket == "investing/BTC");
  CHECK(deliver.transfer.amount == 150'000);  // 0.00150000 BTC in satoshi
  CHECK_FALSE(step_named(flow, "settle").compensation);

  for (const char* unusable : {"", "0", "-1", "lots", "0.000000001"}) {
    INFO(unusable);
    set_result(saga, "buy", {{"asset_amount", unusable}});
    auto refused = step_named(flow, "settle").action(saga);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == error_code::provider_error);
  }
}
