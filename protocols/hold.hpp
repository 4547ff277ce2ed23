// Holds: money set aside in one bucket of one account (available -> held) until it is
// posted (captured, as the outgoing leg of a transfer to another bucket) or released. The
// sagas reserve their funds this way; operators reach it over REST. Every request carries an
// idempotency key, like a transfer, and is answered with a transfer_receipt:
//   hold, release: transfer_id is the hold id, from and to are the holder's bucket, and
//                  from_seq = to_seq is the entry's sequence number;
//   post:          a transfer receipt whose outgoing leg is the post entry.
#pragma once

#include <string>

#include "protocols/amount.hpp"
#include "protocols/asset_registry.hpp"
#include "protocols/outcome.hpp"

namespace ledgerflow {

struct hold_request {
  std::string idempotency_key;
  std::string account;
  std::string bucket;
  minor_units amount = 0;
  std::string saga_id;  // as in transfer_request: the entries' cause, when a saga asks
};

struct release_request {
  std::string idempotency_key;
  std::string account;
  std::string hold_id;
  std::string saga_id;
};

// Captures `amount` (at most the hold) and moves it to `to_account`'s `to_bucket`; whatever
// is left of the hold is released in the same atomic group.
struct post_request {
  std::string idempotency_key;
  std::string account;
  std::string hold_id;
  std::string to_account;
  std::string to_bucket;
  minor_units amount = 0;
  std::string saga_id;
};

// Shape checks that need no account state; on success `asset_code` is the bucket's asset.
status validate_hold(const hold_request& request, const asset_registry& assets, std::string& asset_code);
status validate_release(const release_request& request);
status validate_post(const post_request& request, const asset_registry& assets, std::string& asset_code);

// Hex SHA-256 over the operation's name and canonical fields (not the key), so one key
// reused for another operation or payload is an idempotency_mismatch.
std::string request_hash(const hold_request& request);
std::string request_hash(const release_request& request);
std::string request_hash(const post_request& request);

} // namespace ledgerflow
