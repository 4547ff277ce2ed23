#include "gateway/hold_body.hpp"

#include "gateway/body_fields.hpp"
#include "gateway/json_body.hpp"
#include "protocols/amount.hpp"
#include "protocols/limits.hpp"

namespace ledgerflow {

namespace {

using json = nlohmann::json;

// A hold route's body as a JSON object, and the fields every one of them starts with: the
// key and the holder's account.
struct keyed_body {
  json object;
  std::string idempotency_key;
  std::string account;
};

outcome<keyed_body> keyed_body_fields(std::string_view body) {
  auto parsed = parse_json_object(body);
  if (!parsed)
    return parsed.error();
  auto key = idempotency_key_field(*parsed);
  if (!key)
    return key.error();
  auto account = account_field(*parsed, "");
  if (!account)
    return account.error();
  return keyed_body{std::move(*parsed), std::move(*key), std::move(*account)};
}

// The body of a route on an existing hold ({id} in the path).
outcome<keyed_body> hold_action_fields(std::string_view body, const std::string& hold_id) {
  if (hold_id.empty() || hold_id.size() > limits::idempotency_key_length_max)
    return make_error(error_code::bad_request, "the hold id in the path must be 1 to 128 characters");
  return keyed_body_fields(body);
}

outcome<minor_units> amount_field(const json& body, int decimals) {
  auto text = string_field(body, "amount", "");
  if (!text)
    return text.error();
  return parse_amount(*text, decimals);
}

} // namespace

outcome<hold_request> parse_hold_body(std::string_view body, const asset_registry& assets) {
  auto fields = keyed_body_fields(body);
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
  return hold_request{std::move(fields->idempotency_key), std::move(fields->account), std::move(held->name), *amount};
}

outcome<release_request> parse_release_body(std::string_view body, std::string hold_id) {
  auto fields = hold_action_fields(body, hold_id);
  if (!fields)
    return fields.error();
  return release_request{std::move(fields->idempotency_key), std::move(fields->account), std::move(hold_id)};
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
  return post_request{std::move(fields->idempotency_key), std::move(fields->account), std::move(hold_id),
                      std::move(to->account), std::move(to->where.name), *amount};
}

} // namespace ledgerflow
