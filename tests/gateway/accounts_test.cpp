#include <doctest/doctest.h>

#include "tests/gateway/gateway_fixture.hpp"

using namespace ledgerflow;
using namespace ledgerflow::testing;

TEST_CASE_FIXTURE(gateway_fixture, "the owner reads its account with balances in major units") {
  auto reply = http_get(port(), "/v1/accounts/user:alice", alice_token);
  REQUIRE(reply.status == 200);
  auto body = reply.json();
  CHECK(body["id"] == "user:alice");
  CHECK(body["seq"] == 2);
  REQUIRE(body["balances"].size() == 2);
  CHECK(body["balances"][0] == nlohmann::json{{"bucket", "banking/USD"}, {"available", "100.00"}, {"held", "0.00"}});
  CHECK(body["balances"][1]
        == nlohmann::json{{"bucket", "investing/BTC"}, {"available", "0.50000000"}, {"held", "0.00000000"}});
}

TEST_CASE_FIXTURE(gateway_fixture, "a percent-encoded account id reaches the same account") {
  auto reply = http_get(port(), "/v1/accounts/user%3Aalice", alice_token);
  CHECK(reply.status == 200);
  CHECK(reply.json()["id"] == "user:alice");
  CHECK(http_get(port(), "/v1/accounts/user%3", alice_token).status == 400);
}

TEST_CASE_FIXTURE(gateway_fixture, "a user reading another user's account is 403 forbidden") {
  auto reply = http_get(port(), "/v1/accounts/user:bob", alice_token);
  CHECK(reply.status == 403);
  CHECK(reply.error_code() == "forbidden");
  CHECK(http_get(port(), "/v1/accounts/user:bob/entries", alice_token).status == 403);
  CHECK(ledger.read_calls() == 0);
}

TEST_CASE_FIXTURE(gateway_fixture, "an admin reads any account") {
  auto reply = http_get(port(), "/v1/accounts/user:bob", admin_token);
  REQUIRE(reply.status == 200);
  CHECK(reply.json()["balances"][0]["available"] == "7.25");
}

TEST_CASE_FIXTURE(gateway_fixture, "an account the ledger does not know is 404") {
  auto reply = http_get(port(), "/v1/accounts/user:nobody", admin_token);
  CHECK(reply.status == 404);
  CHECK(reply.error_code() == "not_found");
}

TEST_CASE_FIXTURE(gateway_fixture, "a malformed account id is 400 account_invalid") {
  auto reply = http_get(port(), "/v1/accounts/User:Alice", admin_token);
  CHECK(reply.status == 400);
  CHECK(reply.error_code() == "account_invalid");
  CHECK(ledger.read_calls() == 0);
}

TEST_CASE_FIXTURE(gateway_fixture, "reading an account without a valid token is 401 unauthorized") {
  auto missing = http_get(port(), "/v1/accounts/user:alice");
  CHECK(missing.status == 401);
  CHECK(missing.error_code() == "unauthorized");
  CHECK(missing.header("www-authenticate") == "Bearer");
  auto forged = make_token("alice", {"user:alice"}, token_role::admin, 3'600, "not-the-server-secret");
  CHECK(http_get(port(), "/v1/accounts/user:alice", forged).status == 401);
  auto expired = make_token("alice", {"user:alice"}, token_role::user, -10);
  auto expired_reply = http_get(port(), "/v1/accounts/user:alice", expired);
  CHECK(expired_reply.status == 401);
  CHECK(expired_reply.json()["error"]["message"].get<std::string>().find("expired") != std::string::npos);
  http_client client(port());
  CHECK(client.send("GET", "/v1/accounts/user:alice", "", {{"Authorization", "Basic YTpi"}}).status == 401);
  CHECK(client.send("GET", "/v1/accounts/user:alice", "", {{"Authorization", "Bearer"}}).status == 401);
  CHECK(client.send("GET", "/v1/accounts/user:alice", "", {{"Authorization", "Bearer garbage"}}).status == 401);
  CHECK(ledger.read_calls() == 0);
  CHECK(healthy());
}

TEST_CASE_FIXTURE(gateway_fixture, "the owner reads its entries in order, page by page") {
  auto first = http_get(port(), "/v1/accounts/user:alice/entries?limit=1", alice_token);
  REQUIRE(first.status == 200);
  auto body = first.json();
  CHECK(body["account"] == "user:alice");
  REQUIRE(body["entries"].size() == 1);
  auto entry = body["entries"][0];
  CHECK(entry["seq"] == 1);
  CHECK(entry["kind"] == "credit");
  CHECK(entry["bucket"] == "banking/USD");
  CHECK(entry["amount"] == "100.00");
  CHECK(entry["available_after"] == "100.00");
  CHECK(entry["held_after"] == "0.00");
  CHECK(entry["cause"]["kind"] == "transfer");
  CHECK(entry["counterparty"]["account"] == "system:seed");
  CHECK(entry["hold_id"].is_null());
  CHECK(entry["ts"].get<std::string>().size() == 27);
  CHECK(body["next_after_seq"] == 1);

  auto second = http_get(port(), "/v1/accounts/user:alice/entries?after_seq=1", alice_token).json();
  REQUIRE(second["entries"].size() == 1);
  CHECK(second["entries"][0]["seq"] == 2);
  CHECK(second["entries"][0]["amount"] == "0.50000000");
  CHECK(second["next_after_seq"] == 2);

  auto end = http_get(port(), "/v1/accounts/user:alice/entries?after_seq=2", alice_token).json();
  CHECK(end["entries"].empty());
  CHECK(end["next_after_seq"] == 2);
}

TEST_CASE_FIXTURE(gateway_fixture, "an entries page outside its bounds is 400 bad_request") {
  for (const char* query : {"?limit=0", "?limit=1001", "?limit=ten", "?after_seq=-1", "?after_seq=1.5", "?limit=%zz"}) {
    CAPTURE(query);
    auto reply = http_get(port(), std::string("/v1/accounts/user:alice/entries") + query, alice_token);
    CHECK(reply.status == 400);
    CHECK(reply.error_code() == "bad_request");
  }
  CHECK(http_get(port(), "/v1/accounts/user:alice/entries?limit=1000", alice_token).status == 200);
  CHECK(ledger.read_calls() == 1);
}
