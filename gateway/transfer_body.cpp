#include "gateway/transfer_body.hpp"

#include "gateway/body_fields.hpp"
#include "gateway/json_body.hpp"
#include "protocols/amount.hpp"

namespace ledgerflow {

outcome<transfer_request> parse_transfer_body(std::string_view body, const asset_registry& assets) {
  auto parsed = parse_json_object(body);
  if (!parsed)
    return parsed.error();
  const nlohmann::json& object = *parsed;
  auto key = idempotency_key_field(object);
  if (!key)
    return key.error();
  auto from = account_bucket_field(object, "from", assets);
  if (!from)
    return from.error();
  auto to = account_bucket_field(object, "to", assets);
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
