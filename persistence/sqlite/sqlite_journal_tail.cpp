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

void sqlite_journal_tail::add(const std::vector<account_entry_position>& entries,
                              const std::vector<key_position>& keys) {
  std::unique_lock<std::shared_mutex> lock(mutex_);
  for (const auto& entry : entries) {
    auto& positions = entries_[entry.account];
    assert(positions.empty() || (entry.seq == positions.back().seq + 1 && entry.pos > positions.back().pos));
    positions.push_back({entry.seq, entry.pos});
  }
  entry_count_ += entries.size();
  for (const auto& key : keys) {
    [[maybe_unused]] bool added = keys_.emplace(key.key, key.pos).second;
    assert(added);
  }
}

void sqlite_journal_tail::clear() {
  std::unique_lock<std::shared_mutex> lock(mutex_);
  entries_.clear();
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
  auto found = entries_.find(account);
  if (found == entries_.end())
    return {};
  const auto& positions = found->second;
  auto first = first_after(positions, after_seq);
  auto count = std::min(limit, static_cast<size_t>(positions.end() - first));
  return {first, first + static_cast<std::ptrdiff_t>(count)};
}

std::vector<sqlite_journal_tail::account_entry_position>
sqlite_journal_tail::entries_after(const std::string& account, uint64_t seq, size_t limit) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  std::vector<account_entry_position> page;
  for (auto it = entries_.lower_bound(account); it != entries_.end() && page.size() < limit; ++it) {
    const auto& positions = it->second;
    auto first = it->first == account ? first_after(positions, seq) : positions.begin();
    for (; first != positions.end() && page.size() < limit; ++first)
      page.push_back({it->first, first->seq, first->pos});
  }
  return page;
}

std::optional<uint64_t> sqlite_journal_tail::last_seq(const std::string& account) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  auto found = entries_.find(account);
  if (found == entries_.end())
    return std::nullopt;
  return found->second.back().seq;
}

std::optional<int64_t> sqlite_journal_tail::position_of_key(const std::string& key) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  auto found = keys_.find(key);
  if (found == keys_.end())
    return std::nullopt;
  return found->second;
}

std::vector<std::string> sqlite_journal_tail::accounts() const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  std::vector<std::string> result;
  result.reserve(entries_.size());
  for (const auto& [account, positions] : entries_)
    result.push_back(account);
  return result;
}

} // namespace ledgerflow
