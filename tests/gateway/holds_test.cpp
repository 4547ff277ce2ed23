#include <doctest/doctest.h>

#include <set>

#include "tests/gateway/gateway_fixture.hpp"

using namespace ledgerflow;
using namespace ledgerflow::testing;

namespace {

nlohmann::json hold_body(const std::string& key = "hold-1", const std::string& amount = "40.00") {
  return {{"idempotency_key", key}, {"account", "user:alice"}, {"bucket", "banking/USD"}, {"amount", amount}};
}

std::string place_hold(gateway_fixture& fixture, const std::string& key = "hold-1") {
  auto reply = http_post(fixture.port(), "/v1/holds", hold_body(key).dump(), fixture.admin_token);
  REQUIRE_MESSAGE(reply.status == 201, reply.body);
  return reply.json()["hold_id"].get<std::string>();
}

nlohmann::json alice_usd(gateway_fixture& fixture) {
  return http_get(fixture.port(), "/v1/accounts/user:alice", fixture.admin_token).json()["balances"][0];
}

} // namespace

TEST_CASE_FIXTURE(gateway_fixture, "an admin hold is 201 and moves money from available to held") {
  auto reply = http_post(port(), "/v1/holds", hold_body().dump(), admin_token);
  REQUIRE_MESSAGE(reply.status == 201, reply.body);
  auto body = reply.json();
  CHECK_FALSE(body["hold_id"].get<std::string>().empty());
  CHECK(body["account"] == "user:alice");
  CHECK(body["bucket"] == "banking/USD");
  CHECK(body["amount"] == "40.00");
  CHECK(body["asset"] == "USD");
  CHECK(body["state"] == "held");
  CHECK(body["seq"].is_number_unsigned());
  auto balance = alice_usd(*this);
  CHECK(balance["available"] == "60.00");
  CHECK(balance["held"] == "40.00");
  // The same key again: the same hold, not a second one.
  auto again = http_post(port(), "/v1/holds", hold_body().dump(), admin_token);
  CHECK(again.status == 201);
  CHECK(again.body == reply.body);
  CHECK(alice_usd(*this)["held"] == "40.00");
}

TEST_CASE_FIXTURE(gateway_fixture, "a released hold is 200 and gives the money back") {
  auto hold_id = place_hold(*this);
  nlohmann::json body{{"idempotency_key", "release-1"}, {"account", "user:alice"}};
  auto reply = http_post(port(), "/v1/holds/" + hold_id + "/release", body.dump(), admin_token);
  REQUIRE_MESSAGE(reply.status == 200, reply.body);
  CHECK(reply.json()["state"] == "released");
  CHECK(reply.json()["hold_id"] == hold_id);
  CHECK(alice_usd(*this)["available"] == "100.00");
  CHECK(alice_usd(*this)["held"] == "0.00");
  body["idempotency_key"] = "release-2";
  auto gone = http_post(port(), "/v1/holds/" + hold_id + "/release", body.dump(), admin_token);
  CHECK(gone.status == 404);
  CHECK(gone.error_code() == "not_found");
}

TEST_CASE_FIXTURE(gateway_fixture, "a posted hold is 201 with the transfer it made and the hold id") {
  auto hold_id = place_hold(*this);
  nlohmann::json body{{"idempotency_key", "post-1"},
                      {"account", "user:alice"},
                      {"to", {{"account", "user:bob"}, {"bucket", "banking/USD"}}},
                      {"amount", "25.00"}};
  auto reply = http_post(port(), "/v1/holds/" + hold_id + "/post", body.dump(), admin_token);
  REQUIRE_MESSAGE(reply.status == 201, reply.body);
  auto transfer = reply.json();
  CHECK(transfer["hold_id"] == hold_id);
  CHECK(transfer["from"]["account"] == "user:alice");
  CHECK(transfer["to"]["account"] == "user:bob");
  CHECK(transfer["amount"] == "25.00");
  // 25.00 posted, the other 15.00 of the hold released.
  CHECK(alice_usd(*this)["available"] == "75.00");
  CHECK(alice_usd(*this)["held"] == "0.00");
  CHECK(http_get(port(), "/v1/accounts/user:bob", bob_token).json()["balances"][0]["available"] == "32.25");
}

TEST_CASE_FIXTURE(gateway_fixture, "malformed hold bodies are 4xx with the field named and nothing is held") {
  struct bad_case {
    nlohmann::json body;
    const char* code;
  };
  std::vector<bad_case> cases{
    {{{"account", "user:alice"}, {"bucket", "banking/USD"}, {"amount", "1.00"}}, "bad_request"},
    {{{"idempotency_key", "k"}, {"account", 7}, {"bucket", "banking/USD"}, {"amount", "1.00"}}, "bad_request"},
    {{{"idempotency_key", "k"}, {"account", "alice"}, {"bucket", "banking/USD"}, {"amount", "1.00"}}, "account_invalid"},
    {{{"idempotency_key", "k"}, {"account", "user:alice"}, {"bucket", "banking/XYZ"}, {"amount", "1.00"}},
     "unknown_asset"},
    {{{"idempotency_key", "k"}, {"account", "user:alice"}, {"bucket", "banking/USD"}, {"amount", "0.001"}},
     "amount_invalid"},
    {{{"idempotency_key", "k"}, {"account", "user:alice"}, {"bucket", "banking/USD"}, {"amount", 1}}, "bad_request"},
    {{{"idempotency_key", "k"}, {"account", "user:alice"}, {"bucket", "banking/USD"}, {"amount", "1e5"}},
     "amount_invalid"},
  };
  for (const auto& bad : cases) {
    auto reply = http_post(port(), "/v1/holds", bad.body.dump(), admin_token);
    CAPTURE(bad.body.dump());
    CHECK(reply.status >= 400);
    CHECK(reply.status < 500);
    CHECK(reply.error_code() == bad.code);
  }
  auto not_json = http_post(port(), "/v1/holds", "{not json", admin_token);
  CHECK(not_json.error_code() == "bad_request");
  CHECK(alice_usd(*this)["held"] == "0.00");
  CHECK(healthy());
}

TEST_CASE_FIXTURE(gateway_fixture, "hold routes need an admin token") {
  auto as_user = http_post(port(), "/v1/holds", hold_body().dump(), alice_token);
  CHECK(as_user.status == 403);
  auto anonymous = http_post(port(), "/v1/holds/h-1/release", R"({"idempotency_key":"k","account":"user:alice"})");
  CHECK(anonymous.status == 401);
  CHECK(alice_usd(*this)["held"] == "0.00");
}

TEST_CASE_FIXTURE(gateway_fixture, "the open holds of an account are listed for its owner and admins only") {
  auto first = place_hold(*this, "hold-a");
  auto second = place_hold(*this, "hold-b");
  auto reply = http_get(port(), "/v1/accounts/user:alice/holds", alice_token);
  REQUIRE_MESSAGE(reply.status == 200, reply.body);
  auto body = reply.json();
  CHECK(body["account"] == "user:alice");
  REQUIRE(body["holds"].size() == 2);
  std::set<std::string> listed{body["holds"][0]["hold_id"].get<std::string>(),
                               body["holds"][1]["hold_id"].get<std::string>()};
  CHECK(listed == std::set<std::string>{first, second});
  CHECK(body["holds"][0]["bucket"] == "banking/USD");
  CHECK(body["holds"][0]["amount"] == "40.00");
  nlohmann::json release{{"idempotency_key", "release-a"}, {"account", "user:alice"}};
  REQUIRE(http_post(port(), "/v1/holds/" + first + "/release", release.dump(), admin_token).status == 200);
  auto after = http_get(port(), "/v1/accounts/user:alice/holds", admin_token).json();
  REQUIRE(after["holds"].size() == 1);
  CHECK(after["holds"][0]["hold_id"] == second);
  CHECK(http_get(port(), "/v1/accounts/user:alice/holds", bob_token).status == 403);
  CHECK(http_get(port(), "/v1/accounts/user:alice/holds").status == 401);
}
