// invest_to_defi: its params checked and normalized, and the operations each step builds.
#include <doctest/doctest.h>

#include "tests/sagas/flow_fixture.hpp"

using namespace ledgerflow;
using namespace ledgerflow::testing;

namespace {

saga_params defi_params(const std::string& amount = "0.5") {
  return {{"account", "user:alice"}, {"asset", "BTC"}, {"amount", amount}, {"protocol", "aave"}};
}

saga_data withdrawn_saga(const saga_definition& flow, const saga_params& params) {
  auto saga = started_saga(flow, params);
  set_result(saga, "hold", {{"hold_id", "h_net"}, {"fee_hold_id", "h_fee"}});
  set_result(saga, "withdraw", {{"tx_id", "tx_1"}});
  saga.find_step("withdraw")->provider = "chain-b";
  return saga;
}

} // namespace

TEST_CASE("invest_to_defi: validate normalizes to the asset's decimals and fills confirmations") {
  auto flow = make_invest_to_defi(default_context());
  auto params = flow.validate(defi_params("0.5"));
  REQUIRE(params);
  CHECK(param_of(*params, "amount") == "0.50000000");
  CHECK(param_of(*params, "fee") == "0.00000000");  // defi_fee_bps defaults to 0
  CHECK(param_of(*params, "net") == "0.50000000");
  CHECK(param_of(*params, "protocol") == "aave");
  CHECK(param_of(*params, "confirmations") == "3");  // saga_settings' default

  saga_settings charged;
  charged.defi_fee_bps = 100;
  auto fee = make_invest_to_defi(default_context(charged)).validate(defi_params("0.5"));
  REQUIRE(fee);
  CHECK(param_of(*fee, "fee") == "0.00500000");
  CHECK(param_of(*fee, "net") == "0.49500000");

  auto given = flow.validate(with_param(defi_params(), "confirmations", "12"));
  REQUIRE(given);
  CHECK(param_of(*given, "confirmations") == "12");
}

TEST_CASE("invest_to_defi: validate refuses bad protocols, confirmations and amounts") {
  auto flow = make_invest_to_defi(default_context());
  CHECK(refusal(flow, defi_params()) == "accepted");
  CHECK(refusal(flow, with_param(defi_params(), "exchange", "x")) == "bad_request");
  CHECK(refusal(flow, with_param(defi_params(), "account", "system:exchange")) == "bad_request");
  CHECK(refusal(flow, with_param(defi_params(), "asset", "DOGE")) == "unknown_asset");
  for (const char* protocol : {"", "Aave", "aa-ve", "aave v3", "a/b", "abcdefghijklmnopqrstuvwxyz0123456"}) {
    INFO(protocol);
    CHECK(refusal(flow, with_param(defi_params(), "protocol", protocol)) == "bad_request");
  }
  CHECK(refusal(flow, with_param(defi_params(), "protocol", "compound_v3")) == "accepted");
  for (const char* count : {"0", "1000"}) {
    INFO(count);
    CHECK(refusal(flow, with_param(defi_params(), "confirmations", count)) == "accepted");
  }
  for (const char* count : {"-1", "1001", "many", "1.5", ""}) {
    INFO(count);
    CHECK(refusal(flow, with_param(defi_params(), "confirmations", count)) == "bad_request");
  }
  for (const char* amount : {"0", "-0.1", "0.000000001", "x"}) {
    INFO(amount);
    CHECK(refusal(flow, defi_params(amount)) == "amount_invalid");
  }
}

TEST_CASE("invest_to_defi: hold and withdraw move the net amount of the asset") {
  auto flow = make_invest_to_defi(default_context());
  auto saga = withdrawn_saga(flow, defi_params());
  auto hold = step_named(flow, "hold").action(saga);
  REQUIRE(hold);
  REQUIRE(hold->ledger.size() == 1);  // no fee at 0 bps
  CHECK(hold->ledger[0].hold.bucket == "investing/BTC");
  CHECK(hold->ledger[0].hold.amount == 50'000'000);
  auto withdraw = step_named(flow, "withdraw").action(saga);
  REQUIRE(withdraw);
  REQUIRE(withdraw->provider);
  CHECK(withdraw->provider->kind == provider_kind::chain);
  CHECK(*find_field(withdraw->provider->call.fields, "amount") == "0.50000000");
  CHECK(*find_field(withdraw->provider->call.fields, "address") == "defi:aave");
  // Undone through the provider that made the withdrawal: only it knows the transaction.
  auto back = step_named(flow, "withdraw").compensation(saga);
  REQUIRE(back);
  CHECK(back->provider->provider == "chain-b");
  CHECK(*find_field(back->provider->call.fields, "address") == "custody:user:alice");
}

TEST_CASE("invest_to_defi: confirm polls until N confirmations, and does nothing for 0") {
  auto flow = make_invest_to_defi(default_context());
  const auto& confirm = step_named(flow, "confirm");
  CHECK(confirm.read_only);
  CHECK(confirm.confirmation_wait);
  auto saga = withdrawn_saga(flow, with_param(defi_params(), "confirmations", "3"));
  auto poll = confirm.action(saga);
  REQUIRE(poll);
  REQUIRE(poll->provider);
  CHECK(poll->provider->call.operation == "confirmations");
  CHECK(poll->provider->provider == "chain-b");
  CHECK(*find_field(poll->provider->call.fields, "tx_id") == "tx_1");
  REQUIRE(confirm.done_when);
  CHECK_FALSE(confirm.done_when(saga, {}));
  CHECK_FALSE(confirm.done_when(saga, {{"confirmations", "0"}}));
  CHECK_FALSE(confirm.done_when(saga, {{"confirmations", "2"}}));
  CHECK(confirm.done_when(saga, {{"confirmations", "3"}}));
  CHECK(confirm.done_when(saga, {{"confirmations", "40"}}));
  CHECK_FALSE(confirm.done_when(saga, {{"confirmations", "lots"}}));

  auto immediate = withdrawn_saga(flow, with_param(defi_params(), "confirmations", "0"));
  auto skipped = confirm.action(immediate);
  REQUIRE(skipped);
  CHECK(skipped->empty());
}

TEST_CASE("invest_to_defi: settle posts net to the user's own defi position and the fee to system:fees") {
  saga_settings charged;
  charged.defi_fee_bps = 100;
  auto flow = make_invest_to_defi(default_context(charged));
  auto saga = withdrawn_saga(flow, defi_params("0.5"));
  auto plan = step_named(flow, "settle").action(saga);
  REQUIRE(plan);
  REQUIRE(plan->ledger.size() == 2);
  check_post(plan->ledger[0], "h_net", "user:alice", "defi/aave:BTC", 49'500'000);
  check_post(plan->ledger[1], "h_fee", "system:fees", "investing/BTC", 500'000);
}
