#include <doctest/doctest.h>

#include "protocols/amount.hpp"

using namespace ledgerflow;

TEST_CASE("a dollar amount with cents parses to minor units") {
  auto parsed = parse_amount("12.50", 2);
  REQUIRE(parsed);
  CHECK(*parsed == 1250);
  CHECK(*parse_amount("7", 2) == 700);
  CHECK(*parse_amount("0.01", 2) == 1);
}

TEST_CASE("malformed amounts are rejected with amount_invalid") {
  for (const char* text : {"1e5", "-3", "+3", "", " 1", "1 ", "1.", ".5", "1.2.3", "0x10", "1,00", "NaN"}) {
    CAPTURE(text);
    auto parsed = parse_amount(text, 2);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().code == error_code::amount_invalid);
  }
}

TEST_CASE("more decimals than the asset has are rejected") {
  CHECK_FALSE(parse_amount("0.001", 2));
  CHECK(parse_amount("0.00000001", 8));
  CHECK_FALSE(parse_amount("0.000000001", 8));
}

TEST_CASE("zero is not an amount") {
  CHECK_FALSE(parse_amount("0", 2));
  CHECK_FALSE(parse_amount("0.00", 2));
}

TEST_CASE("amounts beyond 128 bits are rejected, the largest that fits is accepted") {
  CHECK_FALSE(parse_amount("99999999999999999999999999999999999999999", 0));
  CHECK_FALSE(parse_amount("1701411834604692317316873037158841057.28", 2));  // max + 1 minor unit
  auto largest = parse_amount("1701411834604692317316873037158841057.27", 2);
  REQUIRE(largest);
  CHECK(*largest == minor_units_max);
  CHECK_FALSE(parse_amount("170141183460469231731.687303715884105728", 18));
}

TEST_CASE("an ETH amount in wei exceeds 64 bits and survives a round trip") {
  auto parsed = parse_amount("123456789.123456789012345678", 18);
  REQUIRE(parsed);
  CHECK(format_amount(*parsed, 18) == "123456789.123456789012345678");
  CHECK(*parsed > static_cast<minor_units>(INT64_MAX));
}

TEST_CASE("formatting pads fractions and keeps the sign") {
  CHECK(format_amount(5, 2) == "0.05");
  CHECK(format_amount(-5, 2) == "-0.05");
  CHECK(format_amount(120000, 2) == "1200.00");
  CHECK(format_amount(42, 0) == "42");
  CHECK(format_amount(minor_units_min, 0) == "-170141183460469231731687303715884105728");
}

TEST_CASE("decimal integers round-trip at the extremes") {
  for (minor_units value : {minor_units_min, minor_units_max, minor_units{0}, minor_units{-1}, minor_units{1250}}) {
    auto parsed = parse_decimal_integer(to_decimal_string(value));
    REQUIRE(parsed);
    CHECK(*parsed == value);
  }
  CHECK_FALSE(parse_decimal_integer("170141183460469231731687303715884105728"));
  CHECK_FALSE(parse_decimal_integer("-"));
  CHECK_FALSE(parse_decimal_integer("12a"));
}

TEST_CASE("checked arithmetic reports overflow") {
  minor_units result = 0;
  CHECK_FALSE(checked_add(minor_units_max, 1, result));
  CHECK_FALSE(checked_sub(minor_units_min, 1, result));
  CHECK(checked_add(2, 3, result));
  CHECK(result == 5);
}
