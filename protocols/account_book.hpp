// An account's balances and open holds, and the rules that change them. Every change is a
// journal entry with the next sequence number; replaying the entries rebuilds the same book.
// Used by the account actor (single writer), by recovery and by `ledgerflow check`.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "protocols/account_id.hpp"
#include "protocols/journal_entry.hpp"
#include "protocols/outcome.hpp"

namespace ledgerflow {

struct bucket_balance {
  std::string bucket;
  minor_units available = 0;
  minor_units held = 0;
  bool operator==(const bucket_balance& other) const {
    return bucket == other.bucket && available == other.available && held == other.held;
  }
};

struct open_hold {
  std::string hold_id;
  std::string bucket;
  minor_units amount = 0;
  bool operator==(const open_hold& other) const {
    return hold_id == other.hold_id && bucket == other.bucket && amount == other.amount;
  }
};

// The state of one account as of `seq`: what snapshots store.
struct account_snapshot {
  std::string account;
  uint64_t seq = 0;
  std::vector<bucket_balance> balances;  // sorted by bucket
  std::vector<open_hold> holds;          // sorted by hold id
  bool operator==(const account_snapshot& other) const {
    return account == other.account && seq == other.seq && balances == other.balances && holds == other.holds;
  }
};

// Why an entry was written: a transfer, a saga step, ...
struct entry_cause {
  std::string kind;
  std::string id;
};

// The other side of a transfer leg.
struct counterparty {
  std::string account;
  std::string bucket;
};

class account_book {
public:
  explicit account_book(std::string account);
  // Rebuilds from a snapshot; the kind comes from the id.
  static outcome<account_book> from_snapshot(const account_snapshot& snapshot);

  const std::string& account() const { return account_; }
  uint64_t seq() const { return seq_; }
  bool may_go_negative() const { return kind_ == account_kind::system; }
  account_snapshot snapshot() const;
  bucket_balance balance(const std::string& bucket) const;

  // Commands: validate, then emit and apply one entry (or none, with an error).
  outcome<journal_entry> credit(const std::string& bucket, minor_units amount, const entry_cause& cause,
                                const counterparty& from, int64_t now_us);
  outcome<journal_entry> debit(const std::string& bucket, minor_units amount, const entry_cause& cause,
                               const counterparty& to, int64_t now_us);
  outcome<journal_entry> hold(const std::string& bucket, minor_units amount, const std::string& hold_id,
                              const entry_cause& cause, int64_t now_us);
  outcome<journal_entry> release(const std::string& hold_id, const entry_cause& cause, int64_t now_us);
  // Captures `amount` of a hold as an outgoing leg; the rest of the hold is released.
  outcome<std::vector<journal_entry>> post(const std::string& hold_id, minor_units amount,
                                           const entry_cause& cause, const counterparty& to, int64_t now_us);
  // Captures `amount` of a hold into another bucket of this account, as one atomic group:
  // post (+ release of the rest) and credit.
  outcome<std::vector<journal_entry>> post_within(const std::string& hold_id, minor_units amount,
                                                  const std::string& to_bucket, const entry_cause& cause,
                                                  int64_t now_us);
  // The open hold with this id, or nullptr.
  const open_hold* find_hold(const std::string& hold_id) const;
  // Moves money between two buckets of this account as one atomic group (debit + credit).
  outcome<std::vector<journal_entry>> move(const std::string& from_bucket, const std::string& to_bucket,
                                           minor_units amount, const entry_cause& cause, int64_t now_us);

  // Replays a stored entry: the sequence must be the next one and the balances it records
  // must be the ones the fold produces. Errors name what broke.
  status replay(const journal_entry& entry);

private:
  struct balance_state {
    minor_units available = 0;
    minor_units held = 0;
  };

  status check_can_take(const balance_state& state, minor_units amount) const;
  status check_bucket_room(const std::string& bucket) const;
  journal_entry make_entry(entry_kind kind, const std::string& bucket, minor_units amount,
                           const entry_cause& cause, int64_t now_us);
  // Applies an entry's effect and records the resulting balances in it; false on overflow
  // or an unknown hold (a corrupt journal).
  bool apply_effect(journal_entry& entry);

  std::string account_;
  account_kind kind_ = account_kind::user;
  uint64_t seq_ = 0;
  std::map<std::string, balance_state> balances_;
  std::map<std::string, open_hold> holds_;
};

} // namespace ledgerflow
