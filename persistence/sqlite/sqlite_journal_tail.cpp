#include "persistence/sqlite/sqlite_journal_tail.hpp"

#include <algorithm>
#include <cassert>
#include <mutex>

namespace ledgerflow {

namespace {

using entry_positions = std::vector<sqlite_journal_tail::entry_position>;

entry_positions::const_iterator first_after(const entry_positions& positions, uint64_t seq) {
  return std::upper_bound(positions.begin(), positions.end(), seq,
                          [](uint64_t s, const sqlite_journal_tail::entry_position& p) { return s < p.seq; });
}

} // namespace

sqlite_journal_tail::account_state& sqlite_journal_tail::state_of(std::string_view account) {
  auto found = accounts_.find(std::string(account));
  if (found != accounts_.end())
    return found->second;
  return accounts_.emplace(std::string(account), account_state{}).first->second;
}

void sqlite_journal_tail::add(const std::vector<account_entry_position>& entries,
                              const std::vector<key_position>& keys) {
  std::unique_lock<std::shared_mutex> lock(mutex_);
  for (const auto& entry : entries) {
    auto found = accounts_.find(entry.account);
    if (found == accounts_.end())
      found = accounts_.emplace(entry.account, account_state{}).first;  // loading at open: no head yet
    else
      assert(entry.seq == found->second.head + 1);
    auto& state = found->second;
    assert(state.unmerged.empty() || entry.pos > state.unmerged.back().pos);
    if (state.unmerged.empty())
      unmerged_accounts_.insert(found->first);
    state.unmerged.push_back({entry.seq, entry.pos});
    state.head = entry.seq;
  }
  entry_count_ += entries.size();
  for (const auto& key : keys) {
    [[maybe_unused]] bool added = keys_.emplace(key.key, key.pos).second;
    assert(added);
  }
}

void sqlite_journal_tail::remember_head(std::string_view account, uint64_t seq) {
  std::unique_lock<std::shared_mutex> lock(mutex_);
  state_of(account).head = seq;
}

void sqlite_journal_tail::set_merged_key_filter(std::unique_ptr<key_filter> filter) {
  std::unique_lock<std::shared_mutex> lock(mutex_);
  merged_keys_ = std::move(filter);
}

void sqlite_journal_tail::clear_merged(std::unique_ptr<key_filter> rebuilt) {
  if (!rebuilt && merged_keys_) {
    // Shared: readers go on meanwhile, finding these keys in keys_ until the clearing below.
    std::shared_lock<std::shared_mutex> lock(mutex_);
    for (const auto& key : keys_)
      merged_keys_->insert(key.first);
  }
  // Taking the lock orders the inserts above before every read that sees keys_ cleared.
  std::unique_lock<std::shared_mutex> lock(mutex_);
  if (rebuilt)
    merged_keys_ = std::move(rebuilt);
  unmerged_accounts_.clear();
  if (accounts_.size() > heads_max_)
    accounts_.clear();  // cheaper than tracking recency: each head is one index lookup away
  else
    for (auto& [account, state] : accounts_)
      state.unmerged.clear();
  keys_.clear();
  entry_count_ = 0;
}

size_t sqlite_journal_tail::entry_count() const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  return entry_count_;
}

size_t sqlite_journal_tail::key_count() const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  return keys_.size();
}

std::vector<sqlite_journal_tail::entry_position> sqlite_journal_tail::entries_of(const std::string& account,
                                                                                 uint64_t after_seq,
                                                                                 size_t limit) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  auto found = accounts_.find(account);
  if (found == accounts_.end())
    return {};
  const auto& positions = found->second.unmerged;
  auto first = first_after(positions, after_seq);
  auto count = std::min(limit, static_cast<size_t>(positions.end() - first));
  return {first, first + static_cast<std::ptrdiff_t>(count)};
}

std::vector<sqlite_journal_tail::account_entry_position>
sqlite_journal_tail::entries_after(const std::string& account, uint64_t seq, size_t limit) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  std::vector<account_entry_position> page;
  for (auto it = unmerged_accounts_.lower_bound(account); it != unmerged_accounts_.end() && page.size() < limit;
       ++it) {
    const auto& positions = accounts_.find(std::string(*it))->second.unmerged;
    auto first = *it == account ? first_after(positions, seq) : positions.begin();
    for (; first != positions.end() && page.size() < limit; ++first)
      page.push_back({std::string(*it), first->seq, first->pos});
  }
  return page;
}

std::optional<uint64_t> sqlite_journal_tail::last_seq(std::string_view account) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  auto found = accounts_.find(std::string(account));
  if (found == accounts_.end())
    return std::nullopt;
  return found->second.head;
}

sqlite_journal_tail::key_location sqlite_journal_tail::locate_key(const std::string& key) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  auto found = keys_.find(key);
  if (found != keys_.end())
    return {found->second, false};
  return {std::nullopt, !merged_keys_ || merged_keys_->may_contain(key)};
}

std::vector<std::string> sqlite_journal_tail::accounts() const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  return {unmerged_accounts_.begin(), unmerged_accounts_.end()};
}

void sqlite_journal_tail::visit_in_index_order(
  const std::function<void(const std::string&, const entry_position&)>& visit_entry,
  const std::function<void(const std::string&, int64_t)>& visit_key) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  for (auto account : unmerged_accounts_) {
    const auto& [name, state] = *accounts_.find(std::string(account));
    for (const auto& position : state.unmerged)
      visit_entry(name, position);
  }
  // Sorted here, once per merge, rather than kept sorted on every append.
  std::vector<const std::pair<const std::string, int64_t>*> keys;
  keys.reserve(keys_.size());
  for (const auto& key : keys_)
    keys.push_back(&key);
  std::sort(keys.begin(), keys.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
  for (const auto* key : keys)
    visit_key(key->first, key->second);
}

} // namespace ledgerflow
