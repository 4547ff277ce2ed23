#include <doctest/doctest.h>

#include "gateway/percent_decoding.hpp"
#include "gateway/query_params.hpp"

using namespace ledgerflow;

TEST_CASE("percent-decoding accepts valid escapes and rejects broken ones") {
  CHECK(*percent_decode("user%3Aalice") == "user:alice");
  CHECK(*percent_decode("a%2fb") == "a/b");
  CHECK(*percent_decode("plain") == "plain");
  CHECK_FALSE(percent_decode("%"));
  CHECK_FALSE(percent_decode("%4"));
  CHECK_FALSE(percent_decode("%zz"));
  CHECK_FALSE(percent_decode("abc%G1"));
}

TEST_CASE("query integers are bounded and strictly decimal") {
  auto params = query_params::parse("after_seq=12&limit=1000&x=%41");
  REQUIRE(params);
  CHECK(*params->unsigned_value("after_seq", 0, 0, 100) == 12);
  CHECK(*params->unsigned_value("limit", 5, 1, 1000) == 1000);
  CHECK(*params->unsigned_value("missing", 5, 1, 1000) == 5);
  CHECK(*params->find("x") == "A");
  for (const char* query : {"limit=0", "limit=1001", "limit=-1", "limit=1e3", "limit=", "limit=+5", "limit=5 ",
                            "limit=99999999999999999999999"}) {
    CAPTURE(query);
    auto parsed = query_params::parse(query);
    REQUIRE(parsed);
    auto limit = parsed->unsigned_value("limit", 5, 1, 1000);
    REQUIRE_FALSE(limit);
    CHECK(limit.error().code == error_code::bad_request);
  }
}

TEST_CASE("a query string with too many parameters or a broken escape is a bad request") {
  std::string many;
  for (int i = 0; i < 33; ++i)
    many += "p" + std::to_string(i) + "=1&";
  CHECK_FALSE(query_params::parse(many));
  CHECK_FALSE(query_params::parse("a=%zz"));
}
