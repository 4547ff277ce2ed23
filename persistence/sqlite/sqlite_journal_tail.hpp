// The unmerged tail of the SQLite journal: where each entry and idempotency record appended
// since the last index merge sits in the log (its pos), by account and by key. The rows
// themselves are on disk; only their positions are kept here, until a merge puts them into
// entry_index and idempotency_index and clears the tail.
//
// Readers combine a copy of the tail with the on-disk indexes, and they must take the copy
// FIRST, then read the index. Why that is enough: a merge only ever moves rows from the tail
// into the index (index commit first, tail cleared after), so an index read that starts after
// the copy holds at least every row the copy had lost to an earlier merge. The union of the
// two is then every row up to a batch boundary, with no gap; a row in both (merged after the
// copy was taken) is the same row, and readers drop the second sight of it.
//
// Thread-safety: one writer thread calls add() and clear(); any thread calls the rest.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace ledgerflow {

class sqlite_journal_tail {
public:
  struct entry_position {
    uint64_t seq = 0;
    int64_t pos = 0;
  };
  struct account_entry_position {
    std::string account;
    uint64_t seq = 0;
    int64_t pos = 0;
  };
  struct key_position {
    std::string key;
    int64_t pos = 0;
  };

  // Adds one committed batch. Each account's entries continue its sequence (the writer checked).
  void add(const std::vector<account_entry_position>& entries, const std::vector<key_position>& keys);
  // Forgets everything, once a merge has committed it into the indexes.
  void clear();

  size_t entry_count() const;
  size_t key_count() const;

  // The copies readers take. Each is a consistent cut of the tail.
  // The account's entries with seq > after_seq, in seq order, at most `limit`.
  std::vector<entry_position> entries_of(const std::string& account, uint64_t after_seq, size_t limit) const;
  // Entries after (account, seq) in (account, seq) order, at most `limit`: a page of a scan.
  std::vector<account_entry_position> entries_after(const std::string& account, uint64_t seq, size_t limit) const;
  // The account's highest seq in the tail (none when the tail has no entry of it).
  std::optional<uint64_t> last_seq(const std::string& account) const;
  std::optional<int64_t> position_of_key(const std::string& key) const;
  // Every account with an entry in the tail, in id order.
  std::vector<std::string> accounts() const;

private:
  mutable std::shared_mutex mutex_;
  // Ordered by account so a scan can walk it alongside the index; each vector in seq order.
  std::map<std::string, std::vector<entry_position>, std::less<>> entries_;
  std::unordered_map<std::string, int64_t> keys_;
  size_t entry_count_ = 0;
};

} // namespace ledgerflow
