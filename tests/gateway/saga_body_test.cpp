#include <doctest/doctest.h>

#include "gateway/saga_body.hpp"

using namespace ledgerflow;

namespace {

error_code start_code(const std::string& body) {
  auto parsed = parse_saga_start_body(body);
  return parsed ? error_code::none : parsed.error().code;
}

error_code filter_code(const std::string& query) {
  auto parsed = parse_saga_filter(query);
  return parsed ? error_code::none : parsed.error().code;
}

} // namespace

TEST_CASE("a saga start body becomes a start request with its params in order") {
  auto parsed = parse_saga_start_body(R"({"type":"deposit_to_invest","idempotency_key":"k-1",)"
                                      R"("params":{"account":"user:alice","amount":"100.00","currency":"USD"}})");
  REQUIRE_MESSAGE(parsed, (parsed ? "" : parsed.error().message));
  CHECK(parsed->type == "deposit_to_invest");
  CHECK(parsed->idempotency_key == "k-1");
  REQUIRE(parsed->params.size() == 3);
  CHECK(saga_start_account(*parsed) == "user:alice");
  CHECK(parsed->params[1] == std::pair<std::string, std::string>("amount", "100.00"));
}

TEST_CASE("a saga start body with a missing or mistyped field is a bad request") {
  CHECK(start_code("[]") == error_code::bad_request);
  CHECK(start_code("not json") == error_code::bad_request);
  CHECK(start_code(R"({"idempotency_key":"k","params":{"account":"user:a"}})") == error_code::bad_request);
  CHECK(start_code(R"({"type":7,"idempotency_key":"k","params":{"account":"user:a"}})") == error_code::bad_request);
  CHECK(start_code(R"({"type":"t","params":{"account":"user:a"}})") == error_code::bad_request);
  CHECK(start_code(R"({"type":"t","idempotency_key":"","params":{"account":"user:a"}})") == error_code::bad_request);
  CHECK(start_code(R"({"type":"t","idempotency_key":")" + std::string(129, 'k') + R"(","params":{"account":"user:a"}})")
        == error_code::bad_request);
  CHECK(start_code(R"({"type":"t","idempotency_key":"k"})") == error_code::bad_request);
  CHECK(start_code(R"({"type":"t","idempotency_key":"k","params":["user:a"]})") == error_code::bad_request);
}

TEST_CASE("saga params must all be strings, with a valid account among them") {
  auto body = [](const std::string& params) {
    return R"({"type":"t","idempotency_key":"k","params":)" + params + "}";
  };
  CHECK(start_code(body(R"({"account":"user:a","amount":100})")) == error_code::bad_request);
  CHECK(start_code(body(R"({"account":"user:a","amount":1.5})")) == error_code::bad_request);
  CHECK(start_code(body(R"({"account":"user:a","nested":{"x":"y"}})")) == error_code::bad_request);
  CHECK(start_code(body(R"({"account":"user:a","none":null})")) == error_code::bad_request);
  CHECK(start_code(body(R"({"amount":"1.00"})")) == error_code::bad_request);
  CHECK(start_code(body(R"({"account":"Alice!"})")) == error_code::account_invalid);
  std::string many = R"({"account":"user:a")";
  for (size_t i = 0; i < saga_params_max; ++i)
    many += ",\"p" + std::to_string(i) + "\":\"v\"";
  CHECK(start_code(body(many + "}")) == error_code::bad_request);
}

TEST_CASE("a saga list filter takes a known state, a valid account and a limit within bounds") {
  auto filter = parse_saga_filter("state=completed&type=deposit_to_invest&account=user%3Aalice&limit=5");
  REQUIRE_MESSAGE(filter, (filter ? "" : filter.error().message));
  CHECK(filter->state == "completed");
  CHECK(filter->type == "deposit_to_invest");
  CHECK(filter->account == "user:alice");
  CHECK(filter->limit == 5);
  auto defaults = parse_saga_filter("");
  REQUIRE(defaults);
  CHECK(defaults->state.empty());
  CHECK(defaults->limit == saga_list_limit_default);
  CHECK(filter_code("state=done") == error_code::bad_request);
  CHECK(filter_code("limit=0") == error_code::bad_request);
  CHECK(filter_code("limit=1001") == error_code::bad_request);
  CHECK(filter_code("limit=ten") == error_code::bad_request);
  CHECK(filter_code("account=nobody") == error_code::account_invalid);
  CHECK(filter_code("limit=1000") == error_code::none);
}

TEST_CASE("every saga state of the API is known and nothing else is") {
  for (const char* state : {"running", "waiting", "paused", "compensating", "completed", "compensated", "failed"})
    CHECK(is_saga_state(state));
  CHECK_FALSE(is_saga_state(""));
  CHECK_FALSE(is_saga_state("Running"));
}
