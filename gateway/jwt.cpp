#include "gateway/jwt.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include <nlohmann/json.hpp>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "gateway/base64url.hpp"
#include "protocols/account_id.hpp"

namespace ledgerflow {

namespace {

using json = nlohmann::json;

error token_error(const std::string& why) {
  return make_error(error_code::unauthorized, "invalid token: " + why);
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (key.size() > static_cast<size_t>(std::numeric_limits<int>::max()))
    return {};
  auto* result = HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                      reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data(), &length);
  if (result == nullptr)
    return {};
  return std::string(reinterpret_cast<const char*>(digest.data()), length);
}

status check_hs256(std::string_view signing_input, std::string_view signature, const token_keys& keys) {
  if (keys.hs256_secret.empty())
    return token_error("HS256 is not accepted here (no secret configured)");
  auto expected = hmac_sha256(keys.hs256_secret, signing_input);
  // Constant time, so the comparison leaks nothing about how much of a forgery was right.
  if (expected.empty() || signature.size() != expected.size()
      || CRYPTO_memcmp(expected.data(), signature.data(), expected.size()) != 0)
    return token_error("signature does not verify");
  return done{};
}

// One row per accepted "alg"; an ES256 verifier (ECDSA P-256 over a public key in
// token_keys) is one more row. Anything not listed, "none" included, is rejected.
using signature_check = status (*)(std::string_view signing_input, std::string_view signature, const token_keys& keys);

struct signature_algorithm {
  std::string_view name;
  signature_check check;
};

constexpr std::array<signature_algorithm, 1> signature_algorithms{{
  {"HS256", check_hs256},
}};

const signature_algorithm* find_algorithm(std::string_view name) {
  for (const auto& algorithm : signature_algorithms)
    if (algorithm.name == name)
      return &algorithm;
  return nullptr;
}

outcome<json> decode_json_object(std::string_view part, const char* what) {
  auto bytes = base64url_decode(part);
  if (!bytes)
    return token_error(std::string(what) + " is not base64url without padding");
  auto parsed = json::parse(*bytes, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object())
    return token_error(std::string(what) + " is not a JSON object");
  return parsed;
}

status check_header(const json& header) {
  auto typ = header.find("typ");
  if (typ != header.end()) {
    if (!typ->is_string())
      return token_error("header typ must be a string");
    auto text = typ->get<std::string>();
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (text != "JWT")
      return token_error("header typ must be JWT");
  }
  // RFC 7515 4.1.11: extensions we do not understand must make the token invalid.
  if (header.contains("crit"))
    return token_error("header crit extensions are not supported");
  return done{};
}

outcome<int64_t> read_numeric_date(const json& payload, const char* name) {
  const auto& value = payload.at(name);
  if (value.is_number_unsigned())
    return static_cast<int64_t>(std::min<uint64_t>(value.get<uint64_t>(),
                                                    static_cast<uint64_t>(std::numeric_limits<int64_t>::max())));
  if (value.is_number_integer())
    return value.get<int64_t>();
  return token_error(std::string(name) + " must be an integer number of seconds");
}

status read_times(const json& payload, int64_t now_s, token_claims& claims) {
  if (!payload.contains("exp"))
    return token_error("exp is required");
  auto expires = read_numeric_date(payload, "exp");
  if (!expires)
    return expires.error();
  if (now_s >= *expires)
    return token_error("expired");
  claims.expires_at_s = *expires;
  if (payload.contains("nbf")) {
    auto not_before = read_numeric_date(payload, "nbf");
    if (!not_before)
      return not_before.error();
    if (now_s < *not_before)
      return token_error("not valid yet (nbf)");
  }
  return done{};
}

status read_subject_and_role(const json& payload, token_claims& claims) {
  auto subject = payload.find("sub");
  if (subject == payload.end() || !subject->is_string())
    return token_error("sub is required and must be a string");
  claims.subject = subject->get<std::string>();
  if (claims.subject.empty() || claims.subject.size() > token_subject_length_max)
    return token_error("sub must have 1 to 256 characters");
  auto role = payload.find("role");
  if (role == payload.end())
    return done{};  // least privilege when unspecified
  if (!role->is_string())
    return token_error("role must be a string");
  auto name = role->get<std::string>();
  if (name == "user")
    claims.role = token_role::user;
  else if (name == "admin")
    claims.role = token_role::admin;
  else
    return token_error("role must be \"user\" or \"admin\"");
  return done{};
}

status read_accounts(const json& payload, token_claims& claims) {
  auto accounts = payload.find("accounts");
  if (accounts == payload.end())
    return done{};
  if (!accounts->is_array() || accounts->size() > token_accounts_max)
    return token_error("accounts must be an array of at most 1024 account ids");
  for (const auto& account : *accounts) {
    if (!account.is_string() || !parse_account_id(account.get_ref<const std::string&>()))
      return token_error("accounts must hold only valid account ids");
    claims.accounts.push_back(account.get<std::string>());
  }
  return done{};
}

outcome<token_claims> read_claims(const json& payload, int64_t now_s) {
  token_claims claims;
  if (auto times = read_times(payload, now_s, claims); !times)
    return times.error();
  if (auto identity = read_subject_and_role(payload, claims); !identity)
    return identity.error();
  if (auto accounts = read_accounts(payload, claims); !accounts)
    return accounts.error();
  return claims;
}

outcome<token_claims> verify_compact_token(std::string_view token, const token_keys& keys, int64_t now_s) {
  if (token.empty())
    return token_error("empty");
  if (token.size() > token_length_max)
    return token_error("longer than 8192 characters");
  auto first_dot = token.find('.');
  auto last_dot = token.rfind('.');
  if (first_dot == std::string_view::npos || first_dot == last_dot
      || token.find('.', first_dot + 1) != last_dot)
    return token_error("must have three parts separated by dots");
  auto header_part = token.substr(0, first_dot);
  auto payload_part = token.substr(first_dot + 1, last_dot - first_dot - 1);
  auto signature_part = token.substr(last_dot + 1);

  auto header = decode_json_object(header_part, "header");
  if (!header)
    return header.error();
  auto alg = header->find("alg");
  if (alg == header->end() || !alg->is_string())
    return token_error("header alg is required and must be a string");
  const auto* algorithm = find_algorithm(alg->get_ref<const std::string&>());
  if (algorithm == nullptr)
    return token_error("algorithm \"" + alg->get<std::string>().substr(0, 16) + "\" is not accepted (HS256 only)");
  if (auto checked = check_header(*header); !checked)
    return checked.error();

  auto signature = base64url_decode(signature_part);
  if (!signature)
    return token_error("signature is not base64url without padding");
  auto signing_input = token.substr(0, last_dot);
  if (auto verified = algorithm->check(signing_input, *signature, keys); !verified)
    return verified.error();

  // Only a token we issued gets its payload parsed.
  auto payload = decode_json_object(payload_part, "payload");
  if (!payload)
    return payload.error();
  return read_claims(*payload, now_s);
}

} // namespace

std::string_view to_string(token_role role) {
  return role == token_role::admin ? "admin" : "user";
}

std::string sign_token(const token_claims& claims, std::string_view secret) {
  // A caller bug, not input: app/ refuses an empty secret before anything is signed.
  if (secret.empty()) {
    std::fputs("sign_token: empty secret\n", stderr);
    std::abort();
  }
  json header{{"alg", "HS256"}, {"typ", "JWT"}};
  json payload{
    {"sub", claims.subject},
    {"accounts", claims.accounts},
    {"role", to_string(claims.role)},
    {"exp", claims.expires_at_s},
  };
  auto dump = [](const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); };
  auto signing_input = base64url_encode(dump(header)) + "." + base64url_encode(dump(payload));
  return signing_input + "." + base64url_encode(hmac_sha256(secret, signing_input));
}

outcome<token_claims> verify_token(std::string_view token, const token_keys& keys, int64_t now_s) {
  try {
    return verify_compact_token(token, keys, now_s);
  } catch (const json::exception& failure) {
    return token_error(std::string("unreadable JSON: ") + failure.what());
  }
}

} // namespace ledgerflow
