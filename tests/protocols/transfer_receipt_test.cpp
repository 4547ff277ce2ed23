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
  CHECK(json.at("transfer_id").get<std::string>() == "tr_\"x\\y\n");
  CHECK(decode_receipt(text)->transfer_id == "tr_\"x\\y\n");
}

TEST_CASE("a stored receipt that is not one is an error, not a crash") {
  CHECK_FALSE(decode_receipt("{"));
  CHECK_FALSE(decode_receipt("{\"transfer_id\":1}"));
  CHECK_FALSE(decode_receipt("[]"));
}
