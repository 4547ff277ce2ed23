#include "gateway/transfer_body.hpp"

#include <algorithm>

#include "gateway/json_body.hpp"
#include "protocols/account_id.hpp"
#include "protocols/amount.hpp"
#include "protocols/bucket.hpp"
#include "protocols/limits.hpp"

namespace ledgerflow {

namespace {

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

struct side {
  std::string account;
  bucket where;
};

outcome<side> side_field(const json& body, const char* name, const asset_registry& assets) {
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
  if (auto kind = parse_account_id(*account); !kind)
    return make_error(kind.error().code, prefix + "account: " + kind.error().message);
  auto parsed_bucket = parse_bucket(*bucket_name, assets);
  if (!parsed_bucket)
    return make_error(parsed_bucket.error().code, prefix + "bucket: " + parsed_bucket.error().message);
  return side{std::move(*account), std::move(*parsed_bucket)};
}

} // namespace

outcome<transfer_request> parse_transfer_body(std::string_view body, const asset_registry& assets) {
  auto parsed = parse_json_object(body);
  if (!parsed)
    return parsed.error();
  const json& object = *parsed;
  auto key = idempotency_key_field(object);
  if (!key)
    return key.error();
  auto from = side_field(object, "from", assets);
  if (!from)
    return from.error();
  auto to = side_field(object, "to", assets);
  if (!to)
    return to.error();
  auto amount_text = string_field(object, "amount", "");
  if (!amount_text)
    return amount_text.error();
  if (from->where.asset_code != to->where.asset_code)
    return make_error(error_code::bad_request, "from and to buckets hold different assets (" + from->where.asset_code
                                                 + " and " + to->where.asset_code + ")");
  if (from->account == to->account && from->where.name == to->where.name)
    return make_error(error_code::bad_request, "from and to are the same bucket of the same account");
  auto amount = parse_amount(*amount_text, from->where.decimals);
  if (!amount)
    return amount.error();
  transfer_request request;
  request.idempotency_key = std::move(*key);
  request.from_account = std::move(from->account);
  request.from_bucket = std::move(from->where.name);
  request.to_account = std::move(to->account);
  request.to_bucket = std::move(to->where.name);
  request.amount = *amount;
  return request;
}

} // namespace ledgerflow
