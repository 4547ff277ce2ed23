#include <doctest/doctest.h>

#include "protocols/json_views.hpp"

using namespace ledgerflow;

TEST_CASE("timestamps render as ISO-8601 UTC with microseconds") {
  CHECK(format_timestamp(0) == "1970-01-01T00:00:00.000000Z");
  CHECK(format_timestamp(1'767'225'600'000'000) == "2026-01-01T00:00:00.000000Z");
  CHECK(format_timestamp(951'782'400'123'456) == "2000-02-29T00:00:00.123456Z");
  CHECK(format_timestamp(1'700'000'000'000'001) == "2023-11-14T22:13:20.000001Z");
  CHECK(format_timestamp(-1) == "1969-12-31T23:59:59.999999Z");
}

TEST_CASE("an account renders its balances in major units with each asset's decimals") {
  auto assets = asset_registry::defaults();
  std::vector<bucket_balance> balances{{"banking/USD", 1250, 5}, {"investing/ETH", 1, 0}};
  auto rendered = account_json("user:alice", 7, balances, assets);
  REQUIRE(rendered);
  CHECK(rendered->dump() == R"({"balances":[{"available":"12.50","bucket":"banking/USD","held":"0.05"},)"
                            R"({"available":"0.000000000000000001","bucket":"investing/ETH","held":"0.000000000000000000"}],)"
                            R"("id":"user:alice","seq":7})");
}

TEST_CASE("a balance in a bucket whose asset is not configured is an error, not a guess") {
  auto assets = asset_registry::defaults();
  auto rendered = balance_json({"banking/XYZ", 1, 0}, assets);
  REQUIRE_FALSE(rendered);
  CHECK(rendered.error().code == error_code::internal);
}

TEST_CASE("a journal entry renders every field, nulls where a field does not apply") {
  auto assets = asset_registry::defaults();
  journal_entry entry;
  entry.account = "user:alice";
  entry.seq = 3;
  entry.kind = entry_kind::debit;
  entry.bucket = "banking/USD";
  entry.amount = 250;
  entry.available_after = -100;
  entry.held_after = 0;
  entry.cause_kind = "transfer";
  entry.cause_id = "t-9";
  entry.counterparty_account = "user:bob";
  entry.counterparty_bucket = "banking/USD";
  entry.timestamp_us = 0;
  auto rendered = journal_entry_json(entry, assets);
  REQUIRE(rendered);
  CHECK((*rendered)["seq"] == 3);
  CHECK((*rendered)["kind"] == "debit");
  CHECK((*rendered)["amount"] == "2.50");
  CHECK((*rendered)["available_after"] == "-1.00");
  CHECK((*rendered)["held_after"] == "0.00");
  CHECK((*rendered)["cause"] == nlohmann::json{{"kind", "transfer"}, {"id", "t-9"}});
  CHECK((*rendered)["counterparty"] == nlohmann::json{{"account", "user:bob"}, {"bucket", "banking/USD"}});
  CHECK((*rendered)["hold_id"].is_null());
  CHECK((*rendered)["ts"] == "1970-01-01T00:00:00.000000Z");
  entry.counterparty_account.clear();
  entry.hold_id = "h-1";
  auto held = journal_entry_json(entry, assets);
  REQUIRE(held);
  CHECK((*held)["counterparty"].is_null());
  CHECK((*held)["hold_id"] == "h-1");
}

TEST_CASE("a transfer receipt renders both legs with their sequence numbers") {
  auto assets = asset_registry::defaults();
  transfer_receipt receipt{"t-1", "system:fund", "banking/BTC", 4, "user:alice", "investing/BTC", 9, "BTC", 12'345'678, 0};
  auto rendered = transfer_receipt_json(receipt, assets);
  REQUIRE(rendered);
  CHECK(rendered->dump() == R"({"amount":"0.12345678","asset":"BTC",)"
                            R"("from":{"account":"system:fund","bucket":"banking/BTC","seq":4},)"
                            R"("to":{"account":"user:alice","bucket":"investing/BTC","seq":9},)"
                            R"("transfer_id":"t-1","ts":"1970-01-01T00:00:00.000000Z"})");
}

TEST_CASE("a balance event carries the balances after the change") {
  auto assets = asset_registry::defaults();
  journal_entry entry;
  entry.account = "user:alice";
  entry.seq = 12;
  entry.bucket = "defi/aave:USDC";
  entry.amount = 1;
  entry.available_after = 1'500'000;
  entry.held_after = 250'000;
  entry.cause_kind = "saga";
  entry.cause_id = "s-1";
  auto rendered = balance_event_json(entry, assets);
  REQUIRE(rendered);
  CHECK((*rendered)["type"] == "balance");
  CHECK((*rendered)["available"] == "1.500000");
  CHECK((*rendered)["held"] == "0.250000");
  CHECK((*rendered)["seq"] == 12);
}

TEST_CASE("an error renders as {error:{code,message}}") {
  CHECK(error_json(make_error(error_code::insufficient_funds, "not enough")).dump()
        == R"({"error":{"code":"insufficient_funds","message":"not enough"}})");
}
