// The deferred half of the append-only journal: puts the rows appended since the last merge
// into entry_index and idempotency_index in one transaction, and records in journal_meta how
// far each index now reaches. Rows go in sorted by the index key, so each index page takes
// all its new rows at once instead of one page write per row per batch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "persistence/sqlite/key_filter.hpp"
#include "persistence/sqlite/sqlite_handle.hpp"
#include "persistence/sqlite/sqlite_journal_tail.hpp"

namespace ledgerflow {

// A pos in each log table: how far an index reaches, or where a log ends.
struct sqlite_log_positions {
  int64_t entries = 0;
  int64_t idempotency = 0;
  bool operator==(const sqlite_log_positions& other) const {
    return entries == other.entries && idempotency == other.idempotency;
  }
  bool operator!=(const sqlite_log_positions& other) const { return !(*this == other); }
};

class sqlite_index_merger {
public:
  // Uses the writer's connection: a merge is a write like any other.
  explicit sqlite_index_merger(sqlite_connection& connection);

  // How far the indexes reach, as journal_meta says.
  sqlite_log_positions merged();
  // Indexes `tail`, which holds exactly the rows after `from` up to `up_to`, outside any open
  // transaction. The tail is already sorted: no need to read the rows back and sort them.
  // A duplicate (account, seq) or key is a journal_error, never a journal_conflict: the
  // batches holding it are committed, so the journal is inconsistent and the node must stop.
  void merge(const sqlite_journal_tail& tail, const sqlite_log_positions& from, const sqlite_log_positions& up_to);
  // A filter sized for `capacity_keys` holding every key now in idempotency_index: one walk
  // of the index in key order, inside whatever transaction is open (else its own).
  std::unique_ptr<key_filter> filter_of_merged_keys(size_t capacity_keys);

private:
  void insert_rows(const sqlite_journal_tail& tail);
  void record_merged(const sqlite_log_positions& up_to);
  void rollback() noexcept;

  sqlite_connection& connection_;
  sqlite_statement begin_;
  sqlite_statement commit_;
  sqlite_statement read_merged_;
  sqlite_statement insert_entry_;
  sqlite_statement insert_key_;
  sqlite_statement write_merged_;
  sqlite_statement merged_keys_;
};

} // namespace ledgerflow
