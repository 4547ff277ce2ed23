#include "protocols/account_book.hpp"

#include <cassert>

#include "protocols/limits.hpp"

namespace ledgerflow {

account_book::account_book(std::string account) : account_(std::move(account)) {
  auto kind = parse_account_id(account_);
  kind_ = kind ? *kind : account_kind::user;
}

outcome<account_book> account_book::from_snapshot(const account_snapshot& snapshot) {
  if (!parse_account_id(snapshot.account))
    return make_error(error_code::account_invalid, "snapshot of an invalid account id");
  account_book book(snapshot.account);
  book.seq_ = snapshot.seq;
  for (const auto& balance : snapshot.balances)
    book.balances_[balance.bucket] = balance_state{balance.available, balance.held};
  for (const auto& hold : snapshot.holds)
    book.holds_[hold.hold_id] = hold;
  return book;
}

account_snapshot account_book::snapshot() const {
  account_snapshot result;
  result.account = account_;
  result.seq = seq_;
  for (const auto& [bucket, state] : balances_)
    result.balances.push_back(bucket_balance{bucket, state.available, state.held});
  for (const auto& [id, hold] : holds_)
    result.holds.push_back(hold);
  return result;
}

bucket_balance account_book::balance(const std::string& bucket) const {
  auto found = balances_.find(bucket);
  if (found == balances_.end())
    return bucket_balance{bucket, 0, 0};
  return bucket_balance{bucket, found->second.available, found->second.held};
}

status account_book::check_can_take(const balance_state& state, minor_units amount) const {
  minor_units after = 0;
  if (!checked_sub(state.available, amount, after))
    return make_error(error_code::amount_invalid, "amount overflows the balance");
  if (after < 0 && !may_go_negative())
    return make_error(error_code::insufficient_funds, "insufficient funds in " + account_);
  return done{};
}

status account_book::check_bucket_room(const std::string& bucket) const {
  if (balances_.count(bucket) == 0 && balances_.size() >= limits::buckets_per_account_max)
    return make_error(error_code::conflict, "account has the maximum number of buckets");
  return done{};
}

journal_entry account_book::make_entry(entry_kind kind, const std::string& bucket, minor_units amount,
                                       const entry_cause& cause, int64_t now_us) {
  journal_entry entry;
  entry.account = account_;
  entry.seq = seq_ + 1;
  entry.kind = kind;
  entry.bucket = bucket;
  entry.amount = amount;
  entry.cause_kind = cause.kind;
  entry.cause_id = cause.id;
  entry.timestamp_us = now_us;
  return entry;
}

outcome<journal_entry> account_book::credit(const std::string& bucket, minor_units amount,
                                            const entry_cause& cause, const counterparty& from,
                                            int64_t now_us) {
  if (auto ok = check_positive_amount(amount); !ok)
    return ok.error();
  if (auto ok = check_bucket_room(bucket); !ok)
    return ok.error();
  minor_units after = 0;
  if (!checked_add(balances_[bucket].available, amount, after))
    return make_error(error_code::amount_invalid, "credit overflows the balance");
  auto entry = make_entry(entry_kind::credit, bucket, amount, cause, now_us);
  entry.counterparty_account = from.account;
  entry.counterparty_bucket = from.bucket;
  apply_effect(entry);
  return entry;
}

outcome<journal_entry> account_book::debit(const std::string& bucket, minor_units amount,
                                           const entry_cause& cause, const counterparty& to,
                                           int64_t now_us) {
  if (auto ok = check_positive_amount(amount); !ok)
    return ok.error();
  if (auto ok = check_bucket_room(bucket); !ok)
    return ok.error();
  if (auto ok = check_can_take(balances_[bucket], amount); !ok)
    return ok.error();
  auto entry = make_entry(entry_kind::debit, bucket, amount, cause, now_us);
  entry.counterparty_account = to.account;
  entry.counterparty_bucket = to.bucket;
  apply_effect(entry);
  return entry;
}

outcome<journal_entry> account_book::hold(const std::string& bucket, minor_units amount,
                                          const std::string& hold_id, const entry_cause& cause,
                                          int64_t now_us) {
  if (auto ok = check_positive_amount(amount); !ok)
    return ok.error();
  if (hold_id.empty() || hold_id.size() > limits::idempotency_key_length_max)
    return make_error(error_code::bad_request, "hold id must be 1 to 128 characters");
  if (holds_.count(hold_id) != 0)
    return make_error(error_code::conflict, "hold " + hold_id + " already exists");
  if (holds_.size() >= limits::open_holds_per_account_max)
    return make_error(error_code::conflict, "account has the maximum number of open holds");
  if (auto ok = check_bucket_room(bucket); !ok)
    return ok.error();
  auto& state = balances_[bucket];
  if (auto ok = check_can_take(state, amount); !ok)
    return ok.error();
  minor_units held_after = 0;
  if (!checked_add(state.held, amount, held_after))
    return make_error(error_code::amount_invalid, "hold overflows the held balance");
  auto entry = make_entry(entry_kind::hold, bucket, amount, cause, now_us);
  entry.hold_id = hold_id;
  apply_effect(entry);
  return entry;
}

outcome<journal_entry> account_book::release(const std::string& hold_id, const entry_cause& cause,
                                             int64_t now_us) {
  auto found = holds_.find(hold_id);
  if (found == holds_.end())
    return make_error(error_code::not_found, "no open hold " + hold_id);
  auto entry = make_entry(entry_kind::release, found->second.bucket, found->second.amount, cause, now_us);
  entry.hold_id = hold_id;
  apply_effect(entry);
  return entry;
}

outcome<std::vector<journal_entry>> account_book::post(const std::string& hold_id, minor_units amount,
                                                       const entry_cause& cause, const counterparty& to,
                                                       int64_t now_us) {
  if (auto ok = check_positive_amount(amount); !ok)
    return ok.error();
  auto found = holds_.find(hold_id);
  if (found == holds_.end())
    return make_error(error_code::not_found, "no open hold " + hold_id);
  if (amount > found->second.amount)
    return make_error(error_code::amount_invalid, "post exceeds the hold " + hold_id);
  std::vector<journal_entry> entries;
  auto posted = make_entry(entry_kind::post, found->second.bucket, amount, cause, now_us);
  posted.hold_id = hold_id;
  posted.counterparty_account = to.account;
  posted.counterparty_bucket = to.bucket;
  apply_effect(posted);
  entries.push_back(std::move(posted));
  if (holds_.count(hold_id) != 0) {
    auto released = release(hold_id, cause, now_us);
    entries.push_back(std::move(*released));
  }
  return entries;
}

outcome<std::vector<journal_entry>> account_book::post_within(const std::string& hold_id, minor_units amount,
                                                              const std::string& to_bucket, const entry_cause& cause,
                                                              int64_t now_us) {
  const auto* hold = find_hold(hold_id);
  if (hold == nullptr)
    return make_error(error_code::not_found, "no open hold " + hold_id);
  if (hold->bucket == to_bucket)
    return make_error(error_code::bad_request, "a hold is posted to another bucket; release it to free it");
  if (auto ok = check_bucket_room(to_bucket); !ok)
    return ok.error();
  auto existing = balances_.find(to_bucket);
  minor_units credited = 0;
  if (existing != balances_.end() && !checked_add(existing->second.available, amount, credited))
    return make_error(error_code::amount_invalid, "credit overflows the balance");
  auto from_bucket = hold->bucket;  // the hold may be gone once posted
  auto entries = post(hold_id, amount, cause, counterparty{account_, to_bucket}, now_us);
  if (!entries)
    return entries.error();
  auto given = credit(to_bucket, amount, cause, counterparty{account_, from_bucket}, now_us);
  assert(given);  // validated above
  entries->push_back(std::move(*given));
  return entries;
}

const open_hold* account_book::find_hold(const std::string& hold_id) const {
  auto found = holds_.find(hold_id);
  return found == holds_.end() ? nullptr : &found->second;
}

outcome<std::vector<journal_entry>> account_book::move(const std::string& from_bucket,
                                                       const std::string& to_bucket, minor_units amount,
                                                       const entry_cause& cause, int64_t now_us) {
  if (from_bucket == to_bucket)
    return make_error(error_code::bad_request, "a transfer needs two different buckets");
  if (auto ok = check_positive_amount(amount); !ok)
    return ok.error();
  if (balances_.count(from_bucket) == 0 || balances_.count(to_bucket) == 0) {
    auto new_buckets = (balances_.count(from_bucket) == 0) + (balances_.count(to_bucket) == 0);
    if (balances_.size() + new_buckets > limits::buckets_per_account_max)
      return make_error(error_code::conflict, "account has the maximum number of buckets");
  }
  minor_units credited = 0;
  if (!checked_add(balances_[to_bucket].available, amount, credited))
    return make_error(error_code::amount_invalid, "credit overflows the balance");
  if (auto ok = check_can_take(balances_[from_bucket], amount); !ok)
    return ok.error();
  auto taken = debit(from_bucket, amount, cause, counterparty{account_, to_bucket}, now_us);
  auto given = credit(to_bucket, amount, cause, counterparty{account_, from_bucket}, now_us);
  assert(taken && given);  // both were validated above
  return std::vector<journal_entry>{std::move(*taken), std::move(*given)};
}

bool account_book::apply_effect(journal_entry& entry) {
  auto& state = balances_[entry.bucket];
  minor_units available = state.available;
  minor_units held = state.held;
  bool fits = true;
  switch (entry.kind) {
    case entry_kind::credit:
      fits = checked_add(available, entry.amount, available);
      break;
    case entry_kind::debit:
      fits = checked_sub(available, entry.amount, available);
      break;
    case entry_kind::hold:
      fits = checked_sub(available, entry.amount, available) && checked_add(held, entry.amount, held);
      if (fits)
        holds_[entry.hold_id] = open_hold{entry.hold_id, entry.bucket, entry.amount};
      break;
    case entry_kind::release: {
      auto found = holds_.find(entry.hold_id);
      if (found == holds_.end() || found->second.amount != entry.amount || found->second.bucket != entry.bucket)
        return false;
      holds_.erase(found);
      fits = checked_sub(held, entry.amount, held) && checked_add(available, entry.amount, available);
      break;
    }
    case entry_kind::post: {
      auto found = holds_.find(entry.hold_id);
      if (found == holds_.end() || found->second.amount < entry.amount || found->second.bucket != entry.bucket)
        return false;
      found->second.amount -= entry.amount;
      if (found->second.amount == 0)
        holds_.erase(found);
      fits = checked_sub(held, entry.amount, held);
      break;
    }
  }
  if (!fits)
    return false;
  state.available = available;
  state.held = held;
  seq_ = entry.seq;
  entry.available_after = available;
  entry.held_after = held;
  return true;
}

status account_book::replay(const journal_entry& entry) {
  if (entry.account != account_)
    return make_error(error_code::internal, "entry of " + entry.account + " replayed into " + account_);
  if (entry.seq != seq_ + 1)
    return make_error(error_code::internal, account_ + ": expected seq " + std::to_string(seq_ + 1)
                                              + ", found " + std::to_string(entry.seq));
  if (entry.amount <= 0)
    return make_error(error_code::internal, account_ + " seq " + std::to_string(entry.seq) + ": amount not positive");
  auto recorded = entry;
  if (!apply_effect(recorded))
    return make_error(error_code::internal, account_ + " seq " + std::to_string(entry.seq)
                                              + ": entry does not apply (overflow or unknown hold)");
  if (recorded.available_after != entry.available_after || recorded.held_after != entry.held_after)
    return make_error(error_code::internal, account_ + " seq " + std::to_string(entry.seq)
                                              + ": recorded balance differs from the fold of entries");
  auto state = balances_[entry.bucket];
  if (!may_go_negative() && (state.available < 0 || state.held < 0))
    return make_error(error_code::internal, account_ + " seq " + std::to_string(entry.seq)
                                              + ": user bucket " + entry.bucket + " went negative");
  return done{};
}

} // namespace ledgerflow
