// The saga routes on a gateway without a saga engine: 503, after the request's own faults.
#include <doctest/doctest.h>

#include "tests/gateway/gateway_fixture.hpp"

using namespace ledgerflow;
using namespace ledgerflow::testing;

namespace {

const std::string start_body =
  R"({"type":"deposit_to_invest","idempotency_key":"k-1","params":{"account":"user:alice","amount":"1.00"}})";

} // namespace

TEST_CASE_FIXTURE(gateway_fixture, "without a saga engine every saga route is 503 unavailable") {
  auto started = http_post(port(), "/v1/sagas", start_body, admin_token);
  CHECK(started.status == 503);
  CHECK(started.error_code() == "unavailable");
  CHECK(http_get(port(), "/v1/sagas", admin_token).status == 503);
  CHECK(http_get(port(), "/v1/sagas/sg_1", admin_token).status == 503);
  for (const char* action : {"pause", "resume", "retry", "abort"})
    CHECK(http_post(port(), std::string("/v1/sagas/sg_1/") + action, "", admin_token).status == 503);
}

TEST_CASE_FIXTURE(gateway_fixture, "a saga request's own faults are answered before the missing engine") {
  CHECK(http_post(port(), "/v1/sagas", start_body).status == 401);
  auto foreign = http_post(port(), "/v1/sagas", start_body, bob_token);
  CHECK(foreign.status == 403);
  CHECK(foreign.error_code() == "forbidden");
  auto not_strings = http_post(
    port(), "/v1/sagas", R"({"type":"t","idempotency_key":"k","params":{"account":"user:alice","amount":1}})",
    admin_token);
  CHECK(not_strings.status == 400);
  CHECK(not_strings.error_code() == "bad_request");
  CHECK(http_get(port(), "/v1/sagas?state=done", admin_token).status == 400);
  CHECK(http_get(port(), "/v1/sagas", alice_token).status == 403);
  CHECK(http_post(port(), "/v1/sagas/sg_1/pause", "", alice_token).status == 403);
  CHECK(http_post(port(), "/v1/sagas", start_body, alice_token).status == 503);  // her own: allowed, no engine
}
