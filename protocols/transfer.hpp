// A transfer between two buckets (of two accounts, or of one) and its receipt.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>

#include "protocols/amount.hpp"
#include "protocols/asset_registry.hpp"
#include "protocols/outcome.hpp"

namespace ledgerflow {

struct transfer_request {
  std::string idempotency_key;
  std::string from_account;
  std::string from_bucket;
  std::string to_account;
  std::string to_bucket;
  minor_units amount = 0;
  // Set by the saga engine: the entries' cause is ("saga", saga_id) instead of the transfer,
  // so subscribers see which saga moved the money. Not part of the request hash.
  std::string saga_id;
};

// The answer to a transfer, stored as its idempotency record and returned again on repeats.
struct transfer_receipt {
  std::string transfer_id;
  std::string from_account;
  std::string from_bucket;
  uint64_t from_seq = 0;
  std::string to_account;
  std::string to_bucket;
  uint64_t to_seq = 0;
  std::string asset_code;
  minor_units amount = 0;
  int64_t timestamp_us = 0;
};

// 1 to idempotency_key_length_max characters; every request from outside carries one.
status validate_idempotency_key(const std::string& key);

// Checks the key, ids, buckets, assets and the amount of a transfer; on success sets the
// asset both buckets hold.
status validate_transfer(const transfer_request& request, const asset_registry& assets, std::string& asset_code);

// The fields a request hash covers, each ended by '\n' (a byte no field may contain), so no
// two requests collide by moving characters from one field to the next.
std::string canonical_fields(std::initializer_list<const std::string*> fields);

// Hex SHA-256 over the request's canonical fields (not the key): equal payloads, equal hash.
std::string request_hash(const transfer_request& request);

// Compact JSON with the amount in minor units, for storage in idempotency records.
std::string encode_receipt(const transfer_receipt& receipt);
outcome<transfer_receipt> decode_receipt(const std::string& text);

} // namespace ledgerflow
