#include <doctest/doctest.h>

#include <array>
#include <string>

#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "gateway/base64url.hpp"
#include "gateway/jwt.hpp"

using namespace ledgerflow;

namespace {

constexpr int64_t now_s = 1'800'000'000;
const token_keys keys{"jwt-test-secret"};

token_claims alice_claims() {
  token_claims claims;
  claims.subject = "alice";
  claims.accounts = {"user:alice", "user:alice.savings"};
  claims.role = token_role::user;
  claims.expires_at_s = now_s + 60;
  return claims;
}

// Signs arbitrary header and payload text, to build tokens sign_token never would.
std::string sign_raw(const std::string& header, const std::string& payload, const std::string& secret) {
  auto input = base64url_encode(header) + "." + base64url_encode(payload);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(input.data()),
       input.size(), digest.data(), &length);
  return input + "." + base64url_encode(std::string(reinterpret_cast<const char*>(digest.data()), length));
}

std::string hs256_header() {
  return R"({"alg":"HS256","typ":"JWT"})";
}

std::string payload_text(nlohmann::json payload) {
  return payload.dump();
}

nlohmann::json valid_payload() {
  return {{"sub", "alice"}, {"accounts", {"user:alice"}}, {"role", "user"}, {"exp", now_s + 60}};
}

void check_rejected(const std::string& token, const std::string& message_part) {
  auto verified = verify_token(token, keys, now_s);
  REQUIRE_FALSE(verified);
  CHECK(verified.error().code == error_code::unauthorized);
  CHECK_MESSAGE(verified.error().message.find(message_part) != std::string::npos, verified.error().message);
}

} // namespace

TEST_CASE("a signed token verifies and carries its claims") {
  auto token = sign_token(alice_claims(), keys.hs256_secret);
  auto verified = verify_token(token, keys, now_s);
  REQUIRE_MESSAGE(verified, (verified ? "" : verified.error().message));
  CHECK(verified->subject == "alice");
  CHECK(verified->accounts == std::vector<std::string>{"user:alice", "user:alice.savings"});
  CHECK(verified->role == token_role::user);
  CHECK(verified->expires_at_s == now_s + 60);
}

TEST_CASE("an admin token keeps its role") {
  auto claims = alice_claims();
  claims.role = token_role::admin;
  auto verified = verify_token(sign_token(claims, keys.hs256_secret), keys, now_s);
  REQUIRE(verified);
  CHECK(verified->role == token_role::admin);
}

TEST_CASE("a token is rejected from the second its exp is reached") {
  auto claims = alice_claims();
  claims.expires_at_s = now_s;
  check_rejected(sign_token(claims, keys.hs256_secret), "expired");
  claims.expires_at_s = now_s - 3600;
  check_rejected(sign_token(claims, keys.hs256_secret), "expired");
  claims.expires_at_s = now_s + 1;
  CHECK(verify_token(sign_token(claims, keys.hs256_secret), keys, now_s));
}

TEST_CASE("a token whose payload was altered fails the signature check") {
  auto token = sign_token(alice_claims(), keys.hs256_secret);
  auto first_dot = token.find('.');
  auto last_dot = token.rfind('.');
  auto forged_payload = valid_payload();
  forged_payload["role"] = "admin";
  auto forged = token.substr(0, first_dot + 1) + base64url_encode(payload_text(forged_payload)) + token.substr(last_dot);
  check_rejected(forged, "signature does not verify");
}

TEST_CASE("a signature with one character changed is rejected") {
  auto token = sign_token(alice_claims(), keys.hs256_secret);
  auto tampered = token;
  tampered[tampered.size() - 2] = tampered[tampered.size() - 2] == 'A' ? 'B' : 'A';
  check_rejected(tampered, "signature");
}

TEST_CASE("an HS256 token signed with another key is rejected") {
  check_rejected(sign_token(alice_claims(), "some-other-secret"), "signature does not verify");
}

TEST_CASE("a token with alg none is rejected, with or without a signature") {
  auto payload = base64url_encode(payload_text(valid_payload()));
  auto header = base64url_encode(R"({"alg":"none","typ":"JWT"})");
  check_rejected(header + "." + payload + ".", "not accepted");
  check_rejected(header + "." + payload + ".c2ln", "not accepted");
}

TEST_CASE("algorithms other than HS256 are rejected even when signed with the secret") {
  for (const char* alg : {"HS512", "HS384", "ES256", "RS256", "hs256", "HS256 ", "PS256"}) {
    CAPTURE(alg);
    auto header = nlohmann::json{{"alg", alg}, {"typ", "JWT"}}.dump();
    check_rejected(sign_raw(header, payload_text(valid_payload()), keys.hs256_secret), "not accepted");
  }
  check_rejected(sign_raw(R"({"typ":"JWT"})", payload_text(valid_payload()), keys.hs256_secret), "alg is required");
  check_rejected(sign_raw(R"({"alg":256})", payload_text(valid_payload()), keys.hs256_secret), "alg is required");
}

TEST_CASE("a hand-built HS256 token verifies, so the rejections above are about what they change") {
  CHECK(verify_token(sign_raw(hs256_header(), payload_text(valid_payload()), keys.hs256_secret), keys, now_s));
}

TEST_CASE("malformed tokens are rejected with a reason") {
  auto good = sign_token(alice_claims(), keys.hs256_secret);
  check_rejected("", "empty");
  check_rejected("abc", "three parts");
  check_rejected("a.b", "three parts");
  check_rejected(good + ".x", "three parts");
  check_rejected(good + "=", "signature is not base64url");
  check_rejected("eyJ!.e30.c2ln", "header is not base64url");
  check_rejected(base64url_encode("not json") + ".e30.c2ln", "header is not a JSON object");
  check_rejected(base64url_encode(R"(["HS256"])") + ".e30.c2ln", "header is not a JSON object");
  check_rejected(std::string(token_length_max + 1, 'a'), "longer than");
  check_rejected(sign_raw(hs256_header(), "[1,2]", keys.hs256_secret), "payload is not a JSON object");
  check_rejected(sign_raw(hs256_header(), "{\"sub\":", keys.hs256_secret), "payload is not a JSON object");
}

TEST_CASE("exp is required and must be an integer") {
  auto payload = valid_payload();
  payload.erase("exp");
  check_rejected(sign_raw(hs256_header(), payload_text(payload), keys.hs256_secret), "exp is required");
  payload["exp"] = "1900000000";
  check_rejected(sign_raw(hs256_header(), payload_text(payload), keys.hs256_secret), "exp must be an integer");
  payload["exp"] = 1.9e9;
  check_rejected(sign_raw(hs256_header(), payload_text(payload), keys.hs256_secret), "exp must be an integer");
}

TEST_CASE("a token is not accepted before its nbf") {
  auto payload = valid_payload();
  payload["nbf"] = now_s + 10;
  check_rejected(sign_raw(hs256_header(), payload_text(payload), keys.hs256_secret), "nbf");
  payload["nbf"] = now_s;
  CHECK(verify_token(sign_raw(hs256_header(), payload_text(payload), keys.hs256_secret), keys, now_s));
}

TEST_CASE("claims must have the right types and values") {
  auto with = [](const char* name, nlohmann::json value) {
    auto payload = valid_payload();
    payload[name] = std::move(value);
    return sign_raw(hs256_header(), payload_text(payload), keys.hs256_secret);
  };
  check_rejected(with("sub", 42), "sub is required");
  check_rejected(with("sub", ""), "sub must have");
  check_rejected(with("role", "root"), "role must be");
  check_rejected(with("role", true), "role must be a string");
  check_rejected(with("accounts", "user:alice"), "accounts must be an array");
  check_rejected(with("accounts", {"user:alice", 7}), "accounts must hold only valid account ids");
  check_rejected(with("accounts", {"User:Alice"}), "accounts must hold only valid account ids");
}

TEST_CASE("a token without role is a user token, one without accounts grants none") {
  auto payload = valid_payload();
  payload.erase("role");
  payload.erase("accounts");
  auto verified = verify_token(sign_raw(hs256_header(), payload_text(payload), keys.hs256_secret), keys, now_s);
  REQUIRE(verified);
  CHECK(verified->role == token_role::user);
  CHECK(verified->accounts.empty());
}

TEST_CASE("header extensions marked critical are refused") {
  check_rejected(sign_raw(R"({"alg":"HS256","crit":["exp"]})", payload_text(valid_payload()), keys.hs256_secret), "crit");
  check_rejected(sign_raw(R"({"alg":"HS256","typ":"JWS+X"})", payload_text(valid_payload()), keys.hs256_secret), "typ");
}

TEST_CASE("without a configured secret no HS256 token verifies") {
  auto token = sign_token(alice_claims(), keys.hs256_secret);
  auto verified = verify_token(token, token_keys{}, now_s);
  REQUIRE_FALSE(verified);
  CHECK(verified.error().code == error_code::unauthorized);
}

TEST_CASE("base64url round-trips every byte and has one encoding per value") {
  std::string all_bytes;
  for (int i = 0; i < 256; ++i)
    all_bytes.push_back(static_cast<char>(i));
  for (size_t length = 0; length <= 5; ++length) {
    auto bytes = all_bytes.substr(250, length);
    auto decoded = base64url_decode(base64url_encode(bytes));
    REQUIRE(decoded);
    CHECK(*decoded == bytes);
  }
  CHECK(*base64url_decode(base64url_encode(all_bytes)) == all_bytes);
  CHECK(base64url_encode("\xfb\xff") == "-_8");
  CHECK_FALSE(base64url_decode("-_9"));   // non-zero unused bits: not the canonical "-_8"
  CHECK_FALSE(base64url_decode("YQ=="));  // padding
  CHECK_FALSE(base64url_decode("Y+/a"));  // standard alphabet
  CHECK_FALSE(base64url_decode("YWJjZ"));  // 1 mod 4
  CHECK_FALSE(base64url_decode("YW Jj"));
}
