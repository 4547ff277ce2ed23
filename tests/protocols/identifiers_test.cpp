#include <doctest/doctest.h>

#include "protocols/account_id.hpp"
#include "protocols/bucket.hpp"

using namespace ledgerflow;

TEST_CASE("account ids name a user or a system account") {
  CHECK(*parse_account_id("user:alice") == account_kind::user);
  CHECK(*parse_account_id("system:fees.usd") == account_kind::system);
  for (const char* bad : {"alice", "user:", "User:alice", "user:al ice", "admin:x", ""}) {
    CAPTURE(bad);
    auto parsed = parse_account_id(bad);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().code == error_code::account_invalid);
  }
  CHECK_FALSE(parse_account_id("user:" + std::string(124, 'a')));
  CHECK(parse_account_id("user:" + std::string(123, 'a')));
}

TEST_CASE("buckets name a domain and a configured asset") {
  auto assets = asset_registry::defaults();
  auto usd = parse_bucket("banking/USD", assets);
  REQUIRE(usd);
  CHECK(usd->decimals == 2);
  auto aave = parse_bucket("defi/aave:USDC", assets);
  REQUIRE(aave);
  CHECK(aave->asset_code == "USDC");
  CHECK(aave->decimals == 6);
  CHECK(parse_bucket("banking/XYZ", assets).error().code == error_code::unknown_asset);
  for (const char* bad : {"banking", "savings/USD", "defi/USDC", "banking/aave:USD", "defi/:USDC"}) {
    CAPTURE(bad);
    auto parsed = parse_bucket(bad, assets);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().code == error_code::bucket_invalid);
  }
}
