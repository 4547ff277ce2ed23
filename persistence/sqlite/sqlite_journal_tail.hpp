// What the SQLite journal keeps in memory beside its append-only file: the unmerged tail
// (where each entry and idempotency record appended since the last index merge sits in the
// log, by account and by key) and each account's head (its last seq), which outlives merges
// so a batch's density check needs no read for an account seen before.
//
// Readers combine a copy of the tail with the on-disk indexes, and they must take the copy
// FIRST, then read the index. Why that is enough: a merge only ever moves rows from the tail
// into the index (index commit first, tail pruned after), so an index read that starts after
// the copy holds at least every row the copy had lost to an earlier merge. A merge may commit
// in several transactions (chunks in (account, seq) and key order), so for a while a row can
// be in both: readers drop the second sight of it. Each account's merged rows stay a prefix of
// its sequence (a chunk holds an account's oldest unmerged rows first), so "the index, then
// the tail after the index's last seq" is the account's whole sequence.
//
// A merge that commits in chunks may split a batch: the index can hold the first entries of a
// batch committed after a reader's copy. So each copy comes with the log position it reaches
// (visible_up_to), and the reader takes only index rows at or below it: together with the copy,
// exactly the batches committed when the copy was taken.
//
// Keys are held as 64-bit hashes with their log positions, not as strings: a lookup is one
// probe of a flat table and no allocation. Two keys may share a hash, so a hit is a candidate
// position whose row the caller reads and compares.
//
// Beside the tail sits a Bloom filter over every merged key (key_filter), so a lookup of a
// key that was never written answers from memory, with no index probe. A merge puts its keys
// into the filter BEFORE they leave the tail, and the pruning is published by the lock
// readers take: so a written key is always in the tail or in the filter, whichever a reader
// sees. A false positive of the filter only costs the index probe it would have made.
//
// Thread-safety: one writer thread calls the non-const functions and the `writer_` ones (which
// take no lock: nothing else mutates); any thread the other const ones.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <map>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "persistence/key_filter.hpp"

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
  // One account the tail knows: its head, and where its unmerged entries are.
  struct account_state {
    account_state(std::string_view account_id, uint64_t account_id_hash) : id(account_id), id_hash(account_id_hash) {}
    const std::string id;
    const uint64_t id_hash;
    uint64_t head = 0;                     // the last committed seq
    std::vector<entry_position> unmerged;  // in seq order
    // The writer's scratch while it checks one batch; only the writer thread touches them.
    uint64_t batch_mark = 0;
    uint64_t batch_last_seq = 0;
  };
  // A committed entry, by its account's state (no string copied or hashed again).
  struct entry_row {
    account_state* account = nullptr;
    uint64_t seq = 0;
    int64_t pos = 0;
  };
  struct key_row {
    uint64_t key_hash = 0;  // key_filter::hash_of(key)
    int64_t pos = 0;
  };
  // Where a reader should look for a key: at each candidate pos in the log (unmerged rows whose
  // key has the same hash: almost always none or the key itself), else in the index unless the
  // filter rules that out.
  struct key_location {
    std::vector<int64_t> unmerged_positions;
    bool maybe_merged = false;
  };

  // `heads_max`: accounts whose head is kept once their entries are merged; see forget_merged().
  explicit sqlite_journal_tail(size_t heads_max) : heads_max_(heads_max) {}

  // --- the writer thread ---
  // The account's state, or null when the tail does not know it. No lock: only this thread
  // changes the tail. The pointer stays valid until forget_merged().
  account_state* writer_find_account(std::string_view account) const;
  // Adds an account whose head the writer read from the index (it has no unmerged entry).
  account_state* add_account(std::string_view account, uint64_t head);
  // Unmerged positions of keys with this hash, appended to `positions`. No lock, as above.
  void writer_find_key(uint64_t key_hash, std::vector<int64_t>& positions) const;
  const key_filter* writer_merged_key_filter() const { return merged_keys_.get(); }
  // Adds one committed batch, which ends the entries log at `entries_end`. Each account's
  // entries continue its head (the writer checked).
  void add(const std::vector<entry_row>& entries, const std::vector<key_row>& keys, int64_t entries_end);
  // Installs the filter over the keys in the index at open; without one, every key not in the
  // tail may be merged (the filter is off).
  void set_merged_key_filter(std::unique_ptr<key_filter> filter);
  // Forgets the unmerged rows at or below these log positions once a merge has committed them
  // into the indexes; rows above stay. Heads stay, unless there are more than heads_max: then
  // those of accounts without unmerged rows go and are looked up again. The forgotten keys go
  // into the merged-key filter first, unless `rebuilt` comes to replace it: a bigger filter,
  // read from the index after this merge, so holding these keys already.
  void forget_merged(int64_t entries_up_to, int64_t keys_up_to, std::unique_ptr<key_filter> rebuilt = nullptr);

  size_t entry_count() const;
  size_t key_count() const;

  // --- any thread: the copies readers take. Each is a consistent cut of the tail.
  // Each sets `visible_up_to` to the end of the entries log as of the copy (see above).
  // The account's unmerged entries with seq > after_seq, in seq order, at most `limit`.
  std::vector<entry_position> entries_of(std::string_view account, uint64_t after_seq, size_t limit,
                                         int64_t& visible_up_to) const;
  // Unmerged entries after (account, seq) in (account, seq) order, at most `limit`: a scan page.
  std::vector<account_entry_position> entries_after(const std::string& account, uint64_t seq, size_t limit,
                                                    int64_t& visible_up_to) const;
  // The account's last seq when known here (merged or not); none means "ask the index".
  std::optional<uint64_t> last_seq(std::string_view account, int64_t& visible_up_to) const;
  key_location locate_key(std::string_view key) const;
  // Every account with an unmerged entry, in id order.
  std::vector<std::string> accounts() const;

private:
  // Open addressing over (hash, pos); pos 0 marks a free slot (log positions start at 1).
  struct key_slot {
    uint64_t key_hash = 0;
    int64_t pos = 0;
  };
  struct account_slot {
    uint64_t id_hash = 0;
    account_state* state = nullptr;  // null marks a free slot
  };
  static size_t slot_of(uint64_t key_hash, size_t mask);
  account_state* find_account(std::string_view account) const;
  static void put_account(std::vector<account_slot>& slots, account_state* state);
  void find_key(uint64_t key_hash, std::vector<int64_t>& positions) const;
  void reserve_keys(size_t keys);
  static void put_key(std::vector<key_slot>& slots, const key_row& key);

  const size_t heads_max_;
  mutable std::shared_mutex mutex_;
  // Every account known, in no order, and a flat open-addressing index over them by the hash
  // of the id (at most half full): a lookup is one probe and one compare, nothing allocated.
  std::vector<std::unique_ptr<account_state>> accounts_;
  std::vector<account_slot> account_slots_;
  // The accounts with unmerged entries, ordered for scans; keys view account_state::id.
  std::map<std::string_view, account_state*> unmerged_accounts_;
  std::vector<key_slot> key_slots_;  // a power of two in size, at most half full
  size_t key_count_ = 0;
  // Every key in the index. The writer inserts into it under the shared lock (its bits are
  // atomic) and replaces it under the exclusive one.
  std::unique_ptr<key_filter> merged_keys_;
  size_t entry_count_ = 0;
  int64_t entries_end_ = 0;  // the last pos of the entries log, as of the last add()
};

} // namespace ledgerflow
