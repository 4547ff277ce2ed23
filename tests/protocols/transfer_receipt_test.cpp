#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "protocols/transfer.hpp"

using namespace ledgerflow;

TEST_CASE("a receipt survives encoding and decoding, amounts beyond 64 bits included") {
  transfer_receipt receipt{"tr_1", "system:bank", "banking/ETH", 7, "user:alice", "defi/aave:ETH", 9, "ETH",
                           minor_units_max - 5, 1'700'000'000'000'123};
  auto decoded = decode_receipt(encode_receipt(receipt));
  REQUIRE(decoded);
  CHECK(decoded->transfer_id == "tr_1");
  CHECK(decoded->from_seq == 7);
  CHECK(decoded->to_bucket == "defi/aave:ETH");
  CHECK(decoded->to_seq == 9);
  CHECK(decoded->amount == minor_units_max - 5);
  CHECK(decoded->timestamp_us == 1'700'000'000'000'123);
}

TEST_CASE("an encoded receipt is valid JSON even when a field holds quotes or control bytes") {
  transfer_receipt receipt{"tr_\"x\\y\n", "user:a", "banking/USD", 1, "user:b", "banking/USD", 1, "USD", 1, 0};
  auto text = encode_receipt(receipt);
  auto json = nlohmann::json::parse(text);
  CHECK(json.at(0).get<std::string>() == "tr_\"x\\y\n");
  CHECK(decode_receipt(text)->transfer_id == "tr_\"x\\y\n");
}

TEST_CASE("a stored receipt that is not one is an error, not a crash") {
  CHECK_FALSE(decode_receipt("{"));
  CHECK_FALSE(decode_receipt("{\"transfer_id\":1}"));
  CHECK_FALSE(decode_receipt("[]"));
  CHECK_FALSE(decode_receipt("[\"tr_1\",\"user:a\"]"));
  CHECK_FALSE(decode_receipt("[1,2,3,4,5,6,7,8,9,10]"));
}

TEST_CASE("receipts stored as JSON objects by earlier versions still decode") {
  auto decoded = decode_receipt(R"({"transfer_id":"tr_old","from_account":"system:bank","from_bucket":"banking/USD",)"
                                R"("from_seq":3,"to_account":"user:alice","to_bucket":"banking/USD","to_seq":2,)"
                                R"("asset":"USD","amount_minor":"25000","ts_us":1700000000000000})");
  REQUIRE(decoded);
  CHECK(decoded->transfer_id == "tr_old");
  CHECK(decoded->from_account == "system:bank");
  CHECK(decoded->from_seq == 3);
  CHECK(decoded->to_account == "user:alice");
  CHECK(decoded->to_seq == 2);
  CHECK(decoded->asset_code == "USD");
  CHECK(decoded->amount == 25000);
  CHECK(decoded->timestamp_us == 1'700'000'000'000'000);
}

TEST_CASE("the stored receipt is the compact array form") {
  transfer_receipt receipt{"tr_1", "user:a", "banking/USD", 4, "user:b", "banking/USD", 5, "USD", 1250, 77};
  CHECK(encode_receipt(receipt) == R"(["tr_1","user:a","banking/USD",4,"user:b","banking/USD",5,"USD","1250",77])");
}
