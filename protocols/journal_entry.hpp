// One journal entry: a change to one bucket of one account, written only by that account's
// actor, numbered by the account's dense sequence (1, 2, 3, ...).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "protocols/amount.hpp"

namespace ledgerflow {

enum class entry_kind : uint8_t {
  credit = 1,   // available += amount (incoming leg)
  debit = 2,    // available -= amount (outgoing leg)
  hold = 3,     // available -= amount, held += amount
  release = 4,  // held -= amount, available += amount
  post = 5,     // held -= amount: a captured hold, the outgoing leg of a transfer
};

std::string_view to_string(entry_kind kind);
bool entry_kind_from_string(std::string_view name, entry_kind& kind);

struct journal_entry {
  std::string account;
  uint64_t seq = 0;
  entry_kind kind = entry_kind::credit;
  std::string bucket;
  minor_units amount = 0;           // always > 0; the kind says which way it moves
  minor_units available_after = 0;  // the bucket's balance once this entry is applied
  minor_units held_after = 0;
  std::string cause_kind;           // "transfer", "saga", ...
  std::string cause_id;             // transfer id or saga id
  std::string counterparty_account; // the other leg's account, for transfer legs
  std::string counterparty_bucket;
  std::string hold_id;              // for hold, release and post
  int64_t timestamp_us = 0;         // unix microseconds

  bool operator==(const journal_entry& other) const;
};

// An outgoing leg whose incoming leg is not yet durable: counted by `check`, completed by
// recovery. It carries what is needed to write the incoming leg and the idempotency record.
struct inflight_leg {
  std::string transfer_id;
  std::string from_account;
  std::string from_bucket;
  uint64_t from_seq = 0;
  std::string to_account;
  std::string to_bucket;
  std::string asset_code;
  minor_units amount = 0;
  std::string idempotency_key;
  std::string request_hash;
  int64_t timestamp_us = 0;
  // The saga that moved the money, for the incoming entry's cause. Kept in memory only: a
  // leg completed by recovery after a crash names its transfer as the cause instead.
  std::string saga_id = {};
};

} // namespace ledgerflow
