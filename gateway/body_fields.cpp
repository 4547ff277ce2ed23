#include "gateway/body_fields.hpp"

#include <algorithm>

#include "protocols/account_id.hpp"
#include "protocols/limits.hpp"

namespace ledgerflow {

using json = nlohmann::json;

outcome<std::string> string_field(const json& object, const char* name, const std::string& where) {
  auto found = object.find(name);
  if (found == object.end())
    return make_error(error_code::bad_request, where + name + " is required");
  if (!found->is_string())
    return make_error(error_code::bad_request, where + name + " must be a string");
  return found->get<std::string>();
}

outcome<std::string> idempotency_key_field(const json& body) {
  auto key = string_field(body, "idempotency_key", "");
  if (!key)
    return key;
  auto printable = [](char c) { return c >= 0x20 && c <= 0x7e; };
  if (key->empty() || key->size() > limits::idempotency_key_length_max
      || !std::all_of(key->begin(), key->end(), printable))
    return make_error(error_code::bad_request, "idempotency_key must have 1 to 128 printable ASCII characters");
  return key;
}

namespace {

// The account id's shape, its error naming the field ("to.account: ...").
status check_account_id(const std::string& account, const std::string& where) {
  if (auto kind = parse_account_id(account); !kind)
    return make_error(kind.error().code, where + "account: " + kind.error().message);
  return done{};
}

} // namespace

outcome<std::string> account_field(const json& object, const std::string& where) {
  auto account = string_field(object, "account", where);
  if (!account)
    return account;
  if (auto valid = check_account_id(*account, where); !valid)
    return valid.error();
  return account;
}

outcome<account_bucket> account_bucket_field(const json& body, const char* name, const asset_registry& assets) {
  auto found = body.find(name);
  if (found == body.end())
    return make_error(error_code::bad_request, std::string(name) + " is required");
  if (!found->is_object())
    return make_error(error_code::bad_request, std::string(name) + " must be an object {\"account\",\"bucket\"}");
  auto prefix = std::string(name) + ".";
  auto account = string_field(*found, "account", prefix);
  if (!account)
    return account.error();
  auto bucket_name = string_field(*found, "bucket", prefix);
  if (!bucket_name)
    return bucket_name.error();
  // Both strings are read before either is checked: a missing bucket is reported first.
  if (auto valid = check_account_id(*account, prefix); !valid)
    return valid.error();
  auto parsed_bucket = parse_bucket(*bucket_name, assets);
  if (!parsed_bucket)
    return make_error(parsed_bucket.error().code, prefix + "bucket: " + parsed_bucket.error().message);
  return account_bucket{std::move(*account), std::move(*parsed_bucket)};
}

} // namespace ledgerflow
