// What the SQLite journal keeps in memory beside its append-only file: the unmerged tail
// (where each entry and idempotency record appended since the last index merge sits in the
// log, by account and by key) and each account's head (its last seq), which outlives merges
// so a batch's density check needs no read for an account seen before.
//
// Readers combine a copy of the tail with the on-disk indexes, and they must take the copy
// FIRST, then read the index. Why that is enough: a merge only ever moves rows from the tail
// into the index (index commit first, tail cleared after), so an index read that starts after
// the copy holds at least every row the copy had lost to an earlier merge. The union of the
// two is then every row up to a batch boundary, with no gap; a row in both (merged after the
// copy was taken) is the same row, and readers drop the second sight of it.
//
// Beside the tail sits a Bloom filter over every merged key (key_filter), so a lookup of a
// key that was never written answers from memory, with no index probe. A merge puts its keys
// into the filter BEFORE it clears them from the tail, and the clearing is published by the
// lock readers take: so a written key is always in the tail or in the filter, whichever a
// reader sees. A false positive of the filter only costs the index probe it would have made.
//
// Thread-safety: one writer thread calls the non-const functions; any thread the const ones.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "persistence/sqlite/key_filter.hpp"

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
  // Where a reader should look for a key: at its pos in the log when it is unmerged, else in
  // the index unless the filter rules that out.
  struct key_location {
    std::optional<int64_t> unmerged_pos;
    bool maybe_merged = false;
  };

  // `heads_max`: accounts whose head is kept once their entries are merged; see clear_merged().
  explicit sqlite_journal_tail(size_t heads_max) : heads_max_(heads_max) {}

  // Adds one committed batch. Each account's entries continue its head (the writer checked).
  void add(const std::vector<account_entry_position>& entries, const std::vector<key_position>& keys);
  // Records the head of an account the writer looked up in the index (it has no unmerged entry).
  void remember_head(std::string_view account, uint64_t seq);
  // Installs the filter over the keys in the index at open; without one, every key not in the
  // tail may be merged (the filter is off).
  void set_merged_key_filter(std::unique_ptr<key_filter> filter);
  // Forgets the unmerged positions once a merge has committed them into the indexes. Heads
  // stay, unless there are more than heads_max: then they go and are looked up again. The
  // unmerged keys go into the merged-key filter first, unless `rebuilt` comes to replace it:
  // a bigger filter, read from the index after this merge, so holding these keys already.
  void clear_merged(std::unique_ptr<key_filter> rebuilt = nullptr);

  size_t entry_count() const;
  size_t key_count() const;

  // The copies readers take. Each is a consistent cut of the tail.
  // The account's unmerged entries with seq > after_seq, in seq order, at most `limit`.
  std::vector<entry_position> entries_of(const std::string& account, uint64_t after_seq, size_t limit) const;
  // Unmerged entries after (account, seq) in (account, seq) order, at most `limit`: a scan page.
  std::vector<account_entry_position> entries_after(const std::string& account, uint64_t seq, size_t limit) const;
  // The account's last seq when known here (merged or not); none means "ask the index".
  std::optional<uint64_t> last_seq(std::string_view account) const;
  key_location locate_key(const std::string& key) const;
  // Every account with an unmerged entry, in id order.
  std::vector<std::string> accounts() const;

  // Walks the unmerged tail in index order, entries by (account, seq) and keys by key: what a
  // merge inserts. The visitors must not call back into the tail.
  void visit_in_index_order(const std::function<void(const std::string&, const entry_position&)>& visit_entry,
                            const std::function<void(const std::string&, int64_t)>& visit_key) const;

private:
  struct account_state {
    uint64_t head = 0;
    std::vector<entry_position> unmerged;  // in seq order
  };
  account_state& state_of(std::string_view account);

  const size_t heads_max_;
  mutable std::shared_mutex mutex_;
  // Hashed: the hot path looks accounts up one by one, several thousand times a batch.
  std::unordered_map<std::string, account_state> accounts_;
  // The accounts with unmerged entries, ordered for scans and merges. Views of accounts_ keys
  // (stable: unordered_map never moves its nodes).
  std::set<std::string_view> unmerged_accounts_;
  std::unordered_map<std::string, int64_t> keys_;
  // Every key in the index. The writer inserts into it under the shared lock (its bits are
  // atomic) and replaces it under the exclusive one.
  std::unique_ptr<key_filter> merged_keys_;
  size_t entry_count_ = 0;
};

} // namespace ledgerflow
