// The SQLite journal's write side: one connection, used only by append(), with every
// statement prepared once. Each batch is one BEGIN IMMEDIATE ... COMMIT that only appends
// rows at the end of the log tables; the indexes are filled later by a bulk merge
// (sqlite_index_merger) once the unmerged tail has grown past index_merge_rows.
//
// The writer assumes it is the journal file's only writer (one node per file); it checks that
// on every batch and stops rather than build on a log it does not know.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "persistence/journal.hpp"
#include "persistence/sqlite/sqlite_handle.hpp"
#include "persistence/sqlite/sqlite_index_merger.hpp"
#include "persistence/sqlite/sqlite_journal_tail.hpp"
#include "persistence/sqlite/sqlite_options.hpp"

namespace ledgerflow {

class sqlite_journal_writer {
public:
  // Opens (creating) the file, switches it to WAL, brings the schema up to date and loads the
  // unmerged tail into `tail`, which must outlive the writer. Writes nothing to an
  // up-to-date file, so a read-only user can open beside a running writer.
  sqlite_journal_writer(const std::string& path, const sqlite_options& options, sqlite_journal_tail& tail);

  // The whole batch or nothing; see journal::append. May then run an index merge.
  void append(const append_batch& batch);

private:
  // One account's entries in a batch: seqs first..last, already checked to be consecutive.
  struct account_run {
    uint64_t first_seq = 0;
    uint64_t last_seq = 0;
  };
  using account_runs = std::unordered_map<std::string_view, account_run>;
  // Where a batch's rows landed, for the tail once the batch has committed.
  struct written_rows {
    std::vector<sqlite_journal_tail::account_entry_position> entries;
    std::vector<sqlite_journal_tail::key_position> keys;
  };

  static account_runs plan_runs(const std::vector<journal_entry>& entries);
  static void check_keys_distinct(const std::vector<idempotency_record>& records);
  void load_tail();
  written_rows write(const append_batch& batch, const account_runs& runs);
  void check_log_ends();
  void check_heads(const account_runs& runs);
  uint64_t stored_head(std::string_view account);
  void check_key_unused(const idempotency_record& record);
  int64_t insert_entry(const journal_entry& entry);
  int64_t insert_idempotency(const idempotency_record& record);
  void upsert_snapshot(const account_snapshot& snapshot);
  void insert_leg(const inflight_leg& leg);
  void publish(const written_rows& rows);
  void merge_if_due();
  size_t key_filter_capacity_for(size_t keys) const;
  std::unique_ptr<key_filter> regrown_key_filter(size_t merged_keys);
  void rollback() noexcept;

  const size_t index_merge_rows_;
  const size_t key_filter_keys_;      // the first capacity; 0: no filter
  const size_t key_filter_keys_max_;
  size_t key_filter_capacity_ = 0;    // of the filter the tail holds now
  sqlite_connection connection_;
  sqlite_journal_tail& tail_;
  sqlite_statement begin_;
  sqlite_statement commit_;
  sqlite_statement log_ends_;
  sqlite_statement indexed_last_seq_;
  sqlite_statement indexed_key_;
  sqlite_statement insert_entry_;
  sqlite_statement insert_idempotency_;
  sqlite_statement upsert_snapshot_;
  sqlite_statement insert_leg_;
  sqlite_statement delete_leg_;
  sqlite_index_merger merger_;
  // The highest pos this writer knows in each log table; the file must agree at each batch.
  sqlite_log_positions log_ends_known_;
  // How far the indexes reach: the tail holds exactly the rows after this, up to the ends.
  sqlite_log_positions merged_known_;
};

} // namespace ledgerflow
