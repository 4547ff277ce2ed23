#include "persistence/sqlite/sqlite_journal_tail.hpp"

#include <algorithm>
#include <cassert>
#include <mutex>

namespace ledgerflow {

namespace {

using entry_positions = std::vector<sqlite_journal_tail::entry_position>;

constexpr size_t key_slots_min = 1'024;

entry_positions::const_iterator first_after(const entry_positions& positions, uint64_t seq) {
  return std::upper_bound(positions.begin(), positions.end(), seq,
                          [](uint64_t s, const sqlite_journal_tail::entry_position& p) { return s < p.seq; });
}

} // namespace

size_t sqlite_journal_tail::slot_of(uint64_t key_hash, size_t mask) {
  // Fibonacci hashing: the high bits of the product depend on all bits of the hash.
  return static_cast<size_t>((key_hash * 0x9e3779b97f4a7c15u) >> 20) & mask;
}

void sqlite_journal_tail::put_key(std::vector<key_slot>& slots, const key_row& key) {
  auto mask = slots.size() - 1;
  auto slot = slot_of(key.key_hash, mask);
  while (slots[slot].pos != 0)
    slot = (slot + 1) & mask;
  slots[slot] = {key.key_hash, key.pos};
}

void sqlite_journal_tail::find_key(uint64_t key_hash, std::vector<int64_t>& positions) const {
  if (key_slots_.empty())
    return;
  auto mask = key_slots_.size() - 1;
  for (auto slot = slot_of(key_hash, mask); key_slots_[slot].pos != 0; slot = (slot + 1) & mask)
    if (key_slots_[slot].key_hash == key_hash)
      positions.push_back(key_slots_[slot].pos);
}

// Called under the exclusive lock: rehashes into a table at most half full after `keys`.
void sqlite_journal_tail::reserve_keys(size_t keys) {
  if (!key_slots_.empty() && keys * 2 <= key_slots_.size())
    return;
  size_t size = key_slots_min;
  while (size < keys * 2)
    size *= 2;
  std::vector<key_slot> grown(size);
  for (const auto& slot : key_slots_)
    if (slot.pos != 0)
      put_key(grown, {slot.key_hash, slot.pos});
  key_slots_.swap(grown);
}

sqlite_journal_tail::account_state* sqlite_journal_tail::find_account(std::string_view account) const {
  if (account_slots_.empty())
    return nullptr;
  auto id_hash = key_filter::hash_of(account);
  auto mask = account_slots_.size() - 1;
  for (auto slot = slot_of(id_hash, mask); account_slots_[slot].state != nullptr; slot = (slot + 1) & mask)
    if (account_slots_[slot].id_hash == id_hash && account_slots_[slot].state->id == account)
      return account_slots_[slot].state;
  return nullptr;
}

void sqlite_journal_tail::put_account(std::vector<account_slot>& slots, account_state* state) {
  auto mask = slots.size() - 1;
  auto slot = slot_of(state->id_hash, mask);
  while (slots[slot].state != nullptr)
    slot = (slot + 1) & mask;
  slots[slot] = {state->id_hash, state};
}

sqlite_journal_tail::account_state* sqlite_journal_tail::writer_find_account(std::string_view account) const {
  return find_account(account);
}

sqlite_journal_tail::account_state* sqlite_journal_tail::add_account(std::string_view account, uint64_t head) {
  assert(find_account(account) == nullptr);
  auto state = std::make_unique<account_state>(account, key_filter::hash_of(account));
  state->head = head;
  auto* added = state.get();
  std::unique_lock<std::shared_mutex> lock(mutex_);
  accounts_.push_back(std::move(state));
  if (accounts_.size() * 2 > account_slots_.size()) {
    std::vector<account_slot> grown(std::max(key_slots_min, account_slots_.size() * 2));
    for (const auto& known : accounts_)
      put_account(grown, known.get());
    account_slots_.swap(grown);
  } else {
    put_account(account_slots_, added);
  }
  return added;
}

void sqlite_journal_tail::writer_find_key(uint64_t key_hash, std::vector<int64_t>& positions) const {
  find_key(key_hash, positions);
}

void sqlite_journal_tail::add(const std::vector<entry_row>& entries, const std::vector<key_row>& keys,
                              int64_t entries_end) {
  std::unique_lock<std::shared_mutex> lock(mutex_);
  assert(entries_end >= entries_end_);
  entries_end_ = entries_end;
  for (const auto& entry : entries) {
    auto& state = *entry.account;
    assert(state.unmerged.empty() || entry.pos > state.unmerged.back().pos);
    if (state.unmerged.empty())
      unmerged_accounts_.emplace(state.id, &state);
    state.unmerged.push_back({entry.seq, entry.pos});
    state.head = entry.seq;
  }
  entry_count_ += entries.size();
  reserve_keys(key_count_ + keys.size());
  for (const auto& key : keys)
    put_key(key_slots_, key);
  key_count_ += keys.size();
}

void sqlite_journal_tail::set_merged_key_filter(std::unique_ptr<key_filter> filter) {
  std::unique_lock<std::shared_mutex> lock(mutex_);
  merged_keys_ = std::move(filter);
}

void sqlite_journal_tail::forget_merged(int64_t entries_up_to, int64_t keys_up_to, std::unique_ptr<key_filter> rebuilt) {
  // Built with no lock: only this thread changes the tail, and readers keep the old table.
  std::vector<key_slot> kept(key_slots_.size());
  size_t kept_count = 0;
  for (const auto& slot : key_slots_) {
    if (slot.pos == 0)
      continue;
    if (slot.pos > keys_up_to) {
      put_key(kept, {slot.key_hash, slot.pos});
      ++kept_count;
    } else if (!rebuilt && merged_keys_) {
      // Readers go on meanwhile, finding these keys in the table until the swap below.
      merged_keys_->insert_hash(slot.key_hash);
    }
  }
  // Taking the lock orders the inserts above before every read that sees the keys gone.
  std::unique_lock<std::shared_mutex> lock(mutex_);
  if (rebuilt)
    merged_keys_ = std::move(rebuilt);
  key_slots_.swap(kept);
  key_count_ = kept_count;
  for (auto account = unmerged_accounts_.begin(); account != unmerged_accounts_.end();) {
    auto& positions = account->second->unmerged;
    auto first_kept = std::find_if(positions.begin(), positions.end(),
                                   [entries_up_to](const entry_position& p) { return p.pos > entries_up_to; });
    entry_count_ -= static_cast<size_t>(first_kept - positions.begin());
    positions.erase(positions.begin(), first_kept);
    account = positions.empty() ? unmerged_accounts_.erase(account) : std::next(account);
  }
  // Cheaper than tracking recency: each head is one index lookup away.
  if (accounts_.size() > heads_max_) {
    accounts_.erase(std::remove_if(accounts_.begin(), accounts_.end(),
                                   [](const std::unique_ptr<account_state>& state) { return state->unmerged.empty(); }),
                    accounts_.end());
    std::vector<account_slot> kept_slots(std::max(key_slots_min, account_slots_.size()));
    for (const auto& known : accounts_)
      put_account(kept_slots, known.get());
    account_slots_.swap(kept_slots);
  }
}

size_t sqlite_journal_tail::entry_count() const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  return entry_count_;
}

size_t sqlite_journal_tail::key_count() const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  return key_count_;
}

std::vector<sqlite_journal_tail::entry_position> sqlite_journal_tail::entries_of(std::string_view account,
                                                                                 uint64_t after_seq, size_t limit,
                                                                                 int64_t& visible_up_to) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  visible_up_to = entries_end_;
  const auto* state = find_account(account);
  if (state == nullptr)
    return {};
  const auto& positions = state->unmerged;
  auto first = first_after(positions, after_seq);
  auto count = std::min(limit, static_cast<size_t>(positions.end() - first));
  return {first, first + static_cast<std::ptrdiff_t>(count)};
}

std::vector<sqlite_journal_tail::account_entry_position>
sqlite_journal_tail::entries_after(const std::string& account, uint64_t seq, size_t limit,
                                   int64_t& visible_up_to) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  visible_up_to = entries_end_;
  std::vector<account_entry_position> page;
  for (auto it = unmerged_accounts_.lower_bound(account); it != unmerged_accounts_.end() && page.size() < limit;
       ++it) {
    const auto& positions = it->second->unmerged;
    auto first = it->first == account ? first_after(positions, seq) : positions.begin();
    for (; first != positions.end() && page.size() < limit; ++first)
      page.push_back({std::string(it->first), first->seq, first->pos});
  }
  return page;
}

std::optional<uint64_t> sqlite_journal_tail::last_seq(std::string_view account, int64_t& visible_up_to) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  visible_up_to = entries_end_;
  const auto* state = find_account(account);
  if (state == nullptr)
    return std::nullopt;
  return state->head;
}

sqlite_journal_tail::key_location sqlite_journal_tail::locate_key(std::string_view key) const {
  auto key_hash = key_filter::hash_of(key);
  key_location location;
  std::shared_lock<std::shared_mutex> lock(mutex_);
  find_key(key_hash, location.unmerged_positions);
  location.maybe_merged = !merged_keys_ || merged_keys_->may_contain_hash(key_hash);
  return location;
}

std::vector<std::string> sqlite_journal_tail::accounts() const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  std::vector<std::string> ids;
  ids.reserve(unmerged_accounts_.size());
  for (const auto& account : unmerged_accounts_)
    ids.emplace_back(account.first);
  return ids;
}

} // namespace ledgerflow
