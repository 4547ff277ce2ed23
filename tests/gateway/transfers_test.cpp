#include <doctest/doctest.h>

#include "tests/gateway/gateway_fixture.hpp"

using namespace ledgerflow;
using namespace ledgerflow::testing;

namespace {

nlohmann::json transfer_body(const std::string& key = "key-1") {
  return {
    {"idempotency_key", key},
    {"from", {{"account", "user:alice"}, {"bucket", "banking/USD"}}},
    {"to", {{"account", "user:bob"}, {"bucket", "banking/USD"}}},
    {"amount", "12.50"},
  };
}

} // namespace

TEST_CASE_FIXTURE(gateway_fixture, "an admin transfer is 201 with both legs' sequence numbers") {
  auto reply = http_post(port(), "/v1/transfers", transfer_body().dump(), admin_token);
  REQUIRE_MESSAGE(reply.status == 201, reply.body);
  auto body = reply.json();
  CHECK(body["transfer_id"].is_string());
  CHECK_FALSE(body["transfer_id"].get<std::string>().empty());
  CHECK(body["from"] == nlohmann::json{{"account", "user:alice"}, {"bucket", "banking/USD"}, {"seq", 3}});
  CHECK(body["to"] == nlohmann::json{{"account", "user:bob"}, {"bucket", "banking/USD"}, {"seq", 2}});
  CHECK(body["amount"] == "12.50");
  CHECK(body["asset"] == "USD");
  CHECK(body["ts"].is_string());
  REQUIRE(ledger.last_transfer());
  CHECK(ledger.last_transfer()->amount == 1250);
  CHECK(http_get(port(), "/v1/accounts/user:bob", bob_token).json()["balances"][0]["available"] == "19.75");
}

TEST_CASE_FIXTURE(gateway_fixture, "a replayed idempotency key returns the same body") {
  auto first = http_post(port(), "/v1/transfers", transfer_body().dump(), admin_token);
  auto second = http_post(port(), "/v1/transfers", transfer_body().dump(), admin_token);
  REQUIRE(first.status == 201);
  CHECK(second.status == 201);
  CHECK(second.body == first.body);
  CHECK(http_get(port(), "/v1/accounts/user:bob", admin_token).json()["balances"][0]["available"] == "19.75");
}

TEST_CASE_FIXTURE(gateway_fixture, "the same key with a different payload is 422 idempotency_mismatch") {
  REQUIRE(http_post(port(), "/v1/transfers", transfer_body().dump(), admin_token).status == 201);
  auto changed = transfer_body();
  changed["amount"] = "1.00";
  auto reply = http_post(port(), "/v1/transfers", changed.dump(), admin_token);
  CHECK(reply.status == 422);
  CHECK(reply.error_code() == "idempotency_mismatch");
}

TEST_CASE_FIXTURE(gateway_fixture, "a transfer beyond the balance is 422 insufficient_funds") {
  auto body = transfer_body();
  body["amount"] = "100.01";
  auto reply = http_post(port(), "/v1/transfers", body.dump(), admin_token);
  CHECK(reply.status == 422);
  CHECK(reply.error_code() == "insufficient_funds");
}

TEST_CASE_FIXTURE(gateway_fixture, "a user may not transfer, not even from its own account") {
  auto reply = http_post(port(), "/v1/transfers", transfer_body().dump(), alice_token);
  CHECK(reply.status == 403);
  CHECK(reply.error_code() == "forbidden");
  CHECK(ledger.transfer_calls() == 0);
}

TEST_CASE_FIXTURE(gateway_fixture, "a transfer without a token or with a forged one is 401") {
  auto missing = http_post(port(), "/v1/transfers", transfer_body().dump());
  CHECK(missing.status == 401);
  CHECK(missing.error_code() == "unauthorized");
  auto forged = make_token("ops", {}, token_role::admin, 3'600, "guessed-secret");
  auto forged_reply = http_post(port(), "/v1/transfers", transfer_body().dump(), forged);
  CHECK(forged_reply.status == 401);
  CHECK(forged_reply.error_code() == "unauthorized");
  // A genuine token's header and payload with the signature of another.
  auto genuine_user = alice_token;
  auto forged_admin = admin_token.substr(0, admin_token.rfind('.')) + genuine_user.substr(genuine_user.rfind('.'));
  CHECK(http_post(port(), "/v1/transfers", transfer_body().dump(), forged_admin).status == 401);
  CHECK(ledger.transfer_calls() == 0);
  CHECK(healthy());
}

namespace {

struct bad_transfer {
  const char* name;
  std::string body;
  int status;
  const char* code;
};

std::vector<bad_transfer> bad_transfers() {
  auto with = [](const char* field, nlohmann::json value) {
    auto body = transfer_body();
    body[field] = std::move(value);
    return body.dump();
  };
  auto with_side = [](const char* side, const char* field, nlohmann::json value) {
    auto body = transfer_body();
    body[side][field] = std::move(value);
    return body.dump();
  };
  auto without = [](const char* field) {
    auto body = transfer_body();
    body.erase(field);
    return body.dump();
  };
  return {
    {"malformed JSON", R"({"idempotency_key":"k",)", 400, "bad_request"},
    {"not JSON at all", "amount=12.50", 400, "bad_request"},
    {"a JSON array", "[1,2,3]", 400, "bad_request"},
    {"an empty body", "", 400, "bad_request"},
    {"invalid UTF-8", "{\"idempotency_key\":\"\xff\xfe\"}", 400, "bad_request"},
    {"amount as a number", with("amount", 12.5), 400, "bad_request"},
    {"key as a number", with("idempotency_key", 7), 400, "bad_request"},
    {"from as a string", with("from", "user:alice"), 400, "bad_request"},
    {"account as a number", with_side("from", "account", 1), 400, "bad_request"},
    {"bucket as null", with_side("to", "bucket", nullptr), 400, "bad_request"},
    {"missing amount", without("amount"), 400, "bad_request"},
    {"missing to", without("to"), 400, "bad_request"},
    {"missing key", without("idempotency_key"), 400, "bad_request"},
    {"empty key", with("idempotency_key", ""), 400, "bad_request"},
    {"key too long", with("idempotency_key", std::string(129, 'k')), 400, "bad_request"},
    {"amount 1e5", with("amount", "1e5"), 400, "amount_invalid"},
    {"amount -3", with("amount", "-3"), 400, "amount_invalid"},
    {"amount 0.001 USD", with("amount", "0.001"), 400, "amount_invalid"},
    {"amount zero", with("amount", "0.00"), 400, "amount_invalid"},
    {"amount overflow", with("amount", "99999999999999999999999999999999999999999"), 400, "amount_invalid"},
    {"amount empty", with("amount", ""), 400, "amount_invalid"},
    {"unknown asset", with_side("to", "bucket", "banking/XYZ"), 400, "unknown_asset"},
    {"bad bucket", with_side("from", "bucket", "checking/USD"), 400, "bucket_invalid"},
    {"bucket without domain", with_side("from", "bucket", "USD"), 400, "bucket_invalid"},
    {"bad account id", with_side("to", "account", "bob"), 400, "account_invalid"},
    {"upper-case account id", with_side("from", "account", "user:Alice"), 400, "account_invalid"},
    {"mismatched assets", with_side("to", "bucket", "banking/EUR"), 400, "bad_request"},
    {"deep nesting", std::string(5'000, '[') + std::string(5'000, ']'), 400, "bad_request"},
  };
}

} // namespace

TEST_CASE_FIXTURE(gateway_fixture, "each bad transfer gets its status and code, reaches no ledger, breaks no server") {
  for (const auto& bad : bad_transfers()) {
    CAPTURE(bad.name);
    auto reply = http_post(port(), "/v1/transfers", bad.body, admin_token);
    CHECK(reply.status == bad.status);
    CHECK(reply.error_code() == bad.code);
    CHECK(reply.json()["error"]["message"].is_string());
    CHECK(ledger.transfer_calls() == 0);
    CHECK(healthy());
  }
}

TEST_CASE_FIXTURE(gateway_fixture, "unknown extra fields in a transfer are ignored") {
  auto body = transfer_body();
  body["memo"] = "rent";
  body["from"]["note"] = 1;
  CHECK(http_post(port(), "/v1/transfers", body.dump(), admin_token).status == 201);
  CHECK(ledger.transfer_calls() == 1);
}
