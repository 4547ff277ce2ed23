// The table of provider operations: what a well-formed call is.
#include <doctest/doctest.h>

#include "protocols/provider_operations.hpp"

using namespace ledgerflow;

TEST_CASE("a mutating provider call without an idempotency key is refused") {
  provider_call call{"collect", "", {{"account", "user:alice"}, {"amount", "10.00"}, {"currency", "USD"}}};
  auto problem = check_call(provider_kind::payments, call);
  REQUIRE(problem.has_value());
  CHECK(problem->find("idempotency key") != std::string::npos);
  call.idempotency_key = "saga-1/collect";
  CHECK_FALSE(check_call(provider_kind::payments, call).has_value());
}

TEST_CASE("an operation belongs to its kind and needs every field") {
  provider_call quote{"quote", "", {{"asset", "BTC"}, {"currency", "USD"}, {"side", "buy"}, {"amount", "100.00"}}};
  CHECK_FALSE(check_call(provider_kind::exchange, quote).has_value());  // reads need no key
  CHECK(check_call(provider_kind::payments, quote).has_value());
  quote.fields.pop_back();
  auto problem = check_call(provider_kind::exchange, quote);
  REQUIRE(problem.has_value());
  CHECK(problem->find("\"amount\"") != std::string::npos);
}

TEST_CASE("only transient failures and timeouts may be retried") {
  CHECK(is_retryable(failure_kind::transient));
  CHECK(is_retryable(failure_kind::timeout));
  CHECK_FALSE(is_retryable(failure_kind::rejected));
  CHECK_FALSE(is_retryable(failure_kind::unavailable));
  auto failed = call_outcome::failure(failure_kind::timeout, "timeout", "no answer in 2000 ms");
  CHECK_FALSE(failed.ok());
  CHECK(failed.failure().code == "timeout");
  CHECK(call_outcome::success({{"tx_id", "0xab"}}).ok());
}
