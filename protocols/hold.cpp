#include "protocols/hold.hpp"

#include "protocols/account_id.hpp"
#include "protocols/bucket.hpp"
#include "protocols/limits.hpp"
#include "protocols/sha256.hpp"
#include "protocols/transfer.hpp"

namespace ledgerflow {

namespace {

status validate_hold_id(const std::string& hold_id) {
  if (hold_id.empty() || hold_id.size() > limits::idempotency_key_length_max)
    return make_error(error_code::bad_request, "hold_id must be 1 to 128 characters");
  return done{};
}

} // namespace

status validate_hold(const hold_request& request, const asset_registry& assets, std::string& asset_code) {
  if (auto valid = validate_idempotency_key(request.idempotency_key); !valid)
    return valid;
  if (auto parsed = parse_account_id(request.account); !parsed)
    return parsed.error();
  auto held = parse_bucket(request.bucket, assets);
  if (!held)
    return held.error();
  if (auto valid = check_positive_amount(request.amount); !valid)
    return valid;
  asset_code = held->asset_code;
  return done{};
}

status validate_release(const release_request& request) {
  if (auto valid = validate_idempotency_key(request.idempotency_key); !valid)
    return valid;
  if (auto parsed = parse_account_id(request.account); !parsed)
    return parsed.error();
  return validate_hold_id(request.hold_id);
}

status validate_post(const post_request& request, const asset_registry& assets, std::string& asset_code) {
  if (auto valid = validate_idempotency_key(request.idempotency_key); !valid)
    return valid;
  for (const auto* account : {&request.account, &request.to_account})
    if (auto parsed = parse_account_id(*account); !parsed)
      return parsed.error();
  if (auto valid = validate_hold_id(request.hold_id); !valid)
    return valid;
  auto to = parse_bucket(request.to_bucket, assets);
  if (!to)
    return to.error();
  if (auto valid = check_positive_amount(request.amount); !valid)
    return valid;
  asset_code = to->asset_code;  // the account actor checks it against the hold's bucket
  return done{};
}

std::string request_hash(const hold_request& request) {
  static const std::string operation = "hold";
  auto amount = to_decimal_string(request.amount);
  return sha256_hex(canonical_fields({&operation, &request.account, &request.bucket, &amount}));
}

std::string request_hash(const release_request& request) {
  static const std::string operation = "release";
  return sha256_hex(canonical_fields({&operation, &request.account, &request.hold_id}));
}

std::string request_hash(const post_request& request) {
  static const std::string operation = "post";
  auto amount = to_decimal_string(request.amount);
  return sha256_hex(
    canonical_fields({&operation, &request.account, &request.hold_id, &request.to_account, &request.to_bucket, &amount}));
}

} // namespace ledgerflow
