#include <doctest/doctest.h>

#include "gateway/transfer_body.hpp"

using namespace ledgerflow;

namespace {

const asset_registry assets = asset_registry::defaults();

error_code code_of(const std::string& body) {
  auto parsed = parse_transfer_body(body, assets);
  return parsed ? error_code::none : parsed.error().code;
}

} // namespace

TEST_CASE("a complete transfer body becomes a transfer request in minor units") {
  auto parsed = parse_transfer_body(R"({"idempotency_key":"k-1","from":{"account":"system:fund","bucket":"banking/USD"},)"
                                    R"("to":{"account":"user:alice","bucket":"banking/USD"},"amount":"12.50","note":"extra"})",
                                    assets);
  REQUIRE_MESSAGE(parsed, (parsed ? "" : parsed.error().message));
  CHECK(parsed->idempotency_key == "k-1");
  CHECK(parsed->from_account == "system:fund");
  CHECK(parsed->from_bucket == "banking/USD");
  CHECK(parsed->to_account == "user:alice");
  CHECK(parsed->to_bucket == "banking/USD");
  CHECK(parsed->amount == 1250);
}

TEST_CASE("a transfer between two buckets of one account holding the same asset is accepted") {
  CHECK(code_of(R"({"idempotency_key":"k","from":{"account":"user:a","bucket":"banking/USD"},)"
                R"("to":{"account":"user:a","bucket":"investing/USD"},"amount":"1"})")
        == error_code::none);
}

TEST_CASE("an idempotency key must have 1 to 128 printable characters") {
  auto body = [](const std::string& key) {
    return R"({"idempotency_key":")" + key
           + R"(","from":{"account":"user:a","bucket":"banking/USD"},"to":{"account":"user:b","bucket":"banking/USD"},"amount":"1"})";
  };
  CHECK(code_of(body(std::string(128, 'k'))) == error_code::none);
  CHECK(code_of(body(std::string(129, 'k'))) == error_code::bad_request);
  CHECK(code_of(body("")) == error_code::bad_request);
  CHECK(code_of(body("a\\u0001b")) == error_code::bad_request);
}

TEST_CASE("a transfer from a bucket to itself is a bad request") {
  CHECK(code_of(R"({"idempotency_key":"k","from":{"account":"user:a","bucket":"banking/USD"},)"
                R"("to":{"account":"user:a","bucket":"banking/USD"},"amount":"1"})")
        == error_code::bad_request);
}

TEST_CASE("a deeply nested body is refused before it is parsed") {
  std::string deep(10'000, '[');
  CHECK(code_of(deep) == error_code::bad_request);
  CHECK(code_of(R"({"idempotency_key":"k","x":)" + std::string(40, '[') + std::string(40, ']') + "}")
        == error_code::bad_request);
  // Brackets inside strings do not count.
  CHECK(code_of(R"({"idempotency_key":")" + std::string(100, '[')
                + R"(","from":{"account":"user:a","bucket":"banking/USD"},"to":{"account":"user:b","bucket":"banking/USD"},"amount":"1"})")
        == error_code::none);
}
