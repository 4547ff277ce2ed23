// The HTTP provider adapter's wire rules without a network: URLs, targets, bodies, and which
// answers are a success, worth a retry, or final.
#include <doctest/doctest.h>

#include "providers/http/http_provider_wire.hpp"

using namespace ledgerflow;

namespace {

const provider_operation_spec& collect_spec() {
  return *find_operation(provider_kind::payments, "collect");
}

std::string code_of(const call_outcome& outcome) {
  return outcome.ok() ? "<succeeded>" : outcome.failure().code;
}

} // namespace

TEST_CASE("provider URLs name a scheme, a host, an optional port and an optional path") {
  auto plain = parse_provider_url("http://127.0.0.1:8091");
  REQUIRE(plain);
  CHECK_FALSE(plain->tls);
  CHECK(plain->host == "127.0.0.1");
  CHECK(plain->port == 8091);
  CHECK(plain->path.empty());
  CHECK(request_target(*plain, provider_kind::exchange, "buy") == "/v1/exchange/buy");
  CHECK(host_header(*plain) == "127.0.0.1:8091");

  auto secure = parse_provider_url("https://payments.example.com/api/");
  REQUIRE(secure);
  CHECK(secure->tls);
  CHECK(secure->port == 443);
  CHECK(secure->path == "/api");
  CHECK(request_target(*secure, provider_kind::payments, "collect") == "/api/v1/payments/collect");
  CHECK(host_header(*secure) == "payments.example.com");

  auto v6 = parse_provider_url("http://[::1]:9000");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(host_header(*v6) == "[::1]:9000");

  for (auto bad : {"", "127.0.0.1:80", "ftp://host", "http://", "http://host:0", "http://host:70000", "http://host:x",
                   "http://ho st", "http://host/a?b", "http://[::1", "http://user@host"})
    CHECK_MESSAGE(!parse_provider_url(bad), bad);
}

TEST_CASE("a call's body is a JSON object of its string fields") {
  CHECK(request_body({{"account", "user:alice"}, {"amount", "10.00"}}) == R"({"account":"user:alice","amount":"10.00"})");
  CHECK(request_body({{"memo", "quote \" and \n"}}) == R"({"memo":"quote \" and \n"})");
}

TEST_CASE("a 2xx answer with every result field as a string is a success") {
  auto outcome = outcome_of_response(collect_spec(), 200, R"({"currency":"USD","payment_id":"pay-1","amount":"10.00","extra":7})");
  REQUIRE(outcome.ok());
  REQUIRE(outcome.fields().size() == 3);
  CHECK(outcome.fields()[0].first == "payment_id");  // the table's order
  CHECK(*find_field(outcome.fields(), "amount") == "10.00");
}

TEST_CASE("a 2xx answer that is not a complete result is a transient bad_response") {
  CHECK(code_of(outcome_of_response(collect_spec(), 200, "not json")) == "bad_response");
  CHECK(code_of(outcome_of_response(collect_spec(), 200, "[]")) == "bad_response");
  CHECK(code_of(outcome_of_response(collect_spec(), 201, R"({"payment_id":"pay-1","amount":"1"})")) == "bad_response");
  auto numeric = outcome_of_response(collect_spec(), 200, R"({"payment_id":1,"amount":"1","currency":"USD"})");
  REQUIRE_FALSE(numeric.ok());
  CHECK(numeric.failure().kind == failure_kind::transient);
  CHECK(numeric.failure().code == "bad_response");
}

TEST_CASE("408, 429 and 5xx are transient; other statuses are rejected with the provider's message") {
  for (unsigned status : {408u, 429u, 500u, 502u, 503u, 504u}) {
    auto outcome = outcome_of_response(collect_spec(), status, "");
    REQUIRE_FALSE(outcome.ok());
    CHECK(outcome.failure().kind == failure_kind::transient);
    CHECK(outcome.failure().code == "http_" + std::to_string(status));
  }
  for (unsigned status : {301u, 400u, 401u, 404u, 409u, 422u}) {
    auto outcome = outcome_of_response(collect_spec(), status, "");
    REQUIRE_FALSE(outcome.ok());
    CHECK(outcome.failure().kind == failure_kind::rejected);
  }
  auto refused = outcome_of_response(collect_spec(), 422, R"({"error":{"code":"insufficient_funds","message":"card declined"}})");
  CHECK(refused.failure().code == "http_422");
  CHECK(refused.failure().message == "the provider answered 422: insufficient_funds: card declined");
}

TEST_CASE("header values with line breaks or control characters are unsafe") {
  CHECK(is_header_value_safe("order-42:attempt 1"));
  CHECK_FALSE(is_header_value_safe("a\r\nInjected: 1"));
  CHECK_FALSE(is_header_value_safe(std::string("a\0b", 3)));
  CHECK_FALSE(is_header_value_safe(std::string(5'000, 'k')));
}
