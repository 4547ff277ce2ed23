#include "gateway/hold_body.hpp"

#include "gateway/body_fields.hpp"
#include "gateway/json_body.hpp"
#include "protocols/amount.hpp"
#include "protocols/limits.hpp"

namespace ledgerflow {

namespace {

using json = nlohmann::json;

// What every hold route's body starts with: the key and the holder's account.
struct keyed_account {
  std::string idempotency_key;
  std::string account;
};

outcome<keyed_account> keyed_account_fields(const json& body) {
  auto key = idempotency_key_field(body);
  if (!key)
    return key.error();
  auto account = account_field(body, "");
  if (!account)
    return account.error();
  return keyed_account{std::move(*key), std::move(*account)};
}

// A hold route's body and the fields every one of them starts with.
struct hold_action_body {
  json object;
  keyed_account holder;
};

// A hold route's body as a JSON object, with its key and holder checked.
outcome<hold_action_body> keyed_body(std::string_view body) {
  auto parsed = parse_json_object(body);
  if (!parsed)
    return parsed.error();
  auto holder = keyed_account_fields(*parsed);
  if (!holder)
    return holder.error();
  return hold_action_body{std::move(*parsed), std::move(*holder)};
}

// The body of a route on an existing hold ({id} in the path).
outcome<hold_action_body> hold_action_fields(std::string_view body, const std::string& hold_id) {
  if (hold_id.empty() || hold_id.size() > limits::idempotency_key_length_max)
    return make_error(error_code::bad_request, "the hold id in the path must be 1 to 128 characters");
  return keyed_body(body);
}

outcome<minor_units> amount_field(const json& body, int decimals) {
  auto text = string_field(body, "amount", "");
  if (!text)
    return text.error();
  return parse_amount(*text, decimals);
}

} // namespace

outcome<hold_request> parse_hold_body(std::string_view body, const asset_registry& assets) {
  auto fields = keyed_body(body);
  if (!fields)
    return fields.error();
  auto bucket_name = string_field(fields->object, "bucket", "");
  if (!bucket_name)
    return bucket_name.error();
  auto held = parse_bucket(*bucket_name, assets);
  if (!held)
    return make_error(held.error().code, "bucket: " + held.error().message);
  auto amount = amount_field(fields->object, held->decimals);
  if (!amount)
    return amount.error();
  auto& holder = fields->holder;
  return hold_request{std::move(holder.idempotency_key), std::move(holder.account), std::move(held->name), *amount};
}

outcome<release_request> parse_release_body(std::string_view body, std::string hold_id) {
  auto fields = hold_action_fields(body, hold_id);
  if (!fields)
    return fields.error();
  auto& holder = fields->holder;
  return release_request{std::move(holder.idempotency_key), std::move(holder.account), std::move(hold_id)};
}

outcome<post_request> parse_post_body(std::string_view body, std::string hold_id, const asset_registry& assets) {
  auto fields = hold_action_fields(body, hold_id);
  if (!fields)
    return fields.error();
  auto to = account_bucket_field(fields->object, "to", assets);
  if (!to)
    return to.error();
  auto amount = amount_field(fields->object, to->where.decimals);
  if (!amount)
    return amount.error();
  auto& holder = fields->holder;
  return post_request{std::move(holder.idempotency_key), std::move(holder.account), std::move(hold_id),
                      std::move(to->account), std::move(to->where.name), *amount};
}

} // namespace ledgerflow
