#include "protocols/transfer.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "protocols/json_text.hpp"

#include "protocols/account_id.hpp"
#include "protocols/bucket.hpp"
#include "protocols/limits.hpp"
#include "protocols/sha256.hpp"

namespace ledgerflow {

status validate_idempotency_key(const std::string& key) {
  if (key.empty() || key.size() > limits::idempotency_key_length_max)
    return make_error(error_code::bad_request, "idempotency_key must be 1 to 128 characters");
  return done{};
}

status validate_transfer(const transfer_request& request, const asset_registry& assets, std::string& asset_code) {
  if (auto valid = validate_idempotency_key(request.idempotency_key); !valid)
    return valid;
  for (const auto* account : {&request.from_account, &request.to_account})
    if (auto parsed = parse_account_id(*account); !parsed)
      return parsed.error();
  auto from = parse_bucket(request.from_bucket, assets);
  if (!from)
    return from.error();
  auto to = parse_bucket(request.to_bucket, assets);
  if (!to)
    return to.error();
  if (from->asset_code != to->asset_code)
    return make_error(error_code::bad_request, "both buckets must hold the same asset");
  if (request.from_account == request.to_account && request.from_bucket == request.to_bucket)
    return make_error(error_code::bad_request, "a transfer needs two different buckets");
  if (auto positive = check_positive_amount(request.amount); !positive)
    return positive;
  asset_code = from->asset_code;
  return done{};
}

std::string canonical_fields(std::initializer_list<const std::string*> fields) {
  std::string canonical;
  for (const auto* field : fields) {
    canonical += *field;
    canonical += '\n';
  }
  return canonical;
}

std::string request_hash(const transfer_request& request) {
  // Stored hashes are compared with new ones, so this form never changes: the amount last,
  // with no end byte.
  auto canonical =
    canonical_fields({&request.from_account, &request.from_bucket, &request.to_account, &request.to_bucket});
  canonical += to_decimal_string(request.amount);
  return sha256_hex(canonical);
}

// Written by hand: it runs once per transfer on the hot path, where building an
// nlohmann::json object first cost ~15% of the scheduler's time. A JSON array in a fixed
// order (~110 bytes) rather than an object (~250): the record is written for every transfer,
// twice (WAL, then checkpoint), so its size is disk bandwidth. decode_receipt reads both.
std::string encode_receipt(const transfer_receipt& receipt) {
  std::string out;
  out.reserve(160);
  out += '[';
  append_json_string(out, receipt.transfer_id);
  out += ',';
  append_json_string(out, receipt.from_account);
  out += ',';
  append_json_string(out, receipt.from_bucket);
  out += ',';
  append_integer(out, receipt.from_seq);
  out += ',';
  append_json_string(out, receipt.to_account);
  out += ',';
  append_json_string(out, receipt.to_bucket);
  out += ',';
  append_integer(out, receipt.to_seq);
  out += ',';
  append_json_string(out, receipt.asset_code);
  out += ',';
  append_json_string(out, to_decimal_string(receipt.amount));
  out += ',';
  append_integer(out, receipt.timestamp_us);
  out += ']';
  return out;
}

namespace {

constexpr size_t receipt_fields = 10;

// Field `index` of the array form, or the named member of the object form (records written
// before the array form).
const nlohmann::json& receipt_field(const nlohmann::json& json, size_t index, const char* name) {
  return json.is_array() ? json.at(index) : json.at(name);
}

} // namespace

outcome<transfer_receipt> decode_receipt(const std::string& text) {
  try {
    auto json = nlohmann::json::parse(text);
    if (json.is_array() && json.size() != receipt_fields)
      return make_error(error_code::internal, "stored receipt is not valid: it has " + std::to_string(json.size())
                                                + " fields, not " + std::to_string(receipt_fields));
    transfer_receipt receipt;
    receipt.transfer_id = receipt_field(json, 0, "transfer_id").get<std::string>();
    receipt.from_account = receipt_field(json, 1, "from_account").get<std::string>();
    receipt.from_bucket = receipt_field(json, 2, "from_bucket").get<std::string>();
    receipt.from_seq = receipt_field(json, 3, "from_seq").get<uint64_t>();
    receipt.to_account = receipt_field(json, 4, "to_account").get<std::string>();
    receipt.to_bucket = receipt_field(json, 5, "to_bucket").get<std::string>();
    receipt.to_seq = receipt_field(json, 6, "to_seq").get<uint64_t>();
    receipt.asset_code = receipt_field(json, 7, "asset").get<std::string>();
    auto amount = parse_decimal_integer(receipt_field(json, 8, "amount_minor").get<std::string>());
    if (!amount)
      return amount.error();
    receipt.amount = *amount;
    receipt.timestamp_us = receipt_field(json, 9, "ts_us").get<int64_t>();
    return receipt;
  } catch (const nlohmann::json::exception& failure) {
    return make_error(error_code::internal, std::string("stored receipt is not valid: ") + failure.what());
  }
}

} // namespace ledgerflow
