// The SQLite journal's write side: one connection, used only by append(), with every
// statement prepared once. Each batch is one BEGIN IMMEDIATE ... COMMIT that only appends
// rows at the end of the log tables; the indexes are filled later by a bulk merge
// (sqlite_index_merger, on its own thread by default) once the unmerged tail has grown past
// index_merge_rows.
//
// The hot path costs one hash lookup per entry (the account's state in the tail, which also
// carries the batch's density check) and one per idempotency key (a 64-bit hash, computed
// once for the in-batch check, the tail and the filter); amounts are encoded on the stack and
// every text is bound without a copy.
//
// The writer assumes it is the journal file's only writer (one node per file); it checks that
// on every batch and stops rather than build on a log it does not know.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "persistence/journal.hpp"
#include "persistence/sqlite/sqlite_handle.hpp"
#include "persistence/sqlite/sqlite_index_merger.hpp"
#include "persistence/sqlite/sqlite_journal_tail.hpp"
#include "persistence/sqlite/sqlite_saga_log.hpp"
#include "persistence/sqlite/sqlite_options.hpp"

namespace ledgerflow {

// Room for the decimal text of any amount (39 digits and a sign).
struct decimal_buffer {
  char bytes[48];
};

class sqlite_journal_writer {
public:
  // Opens (creating) the file, switches it to WAL, brings the schema up to date, makes the
  // index file usable (rebuilt from position 0 when missing or not this log's: see
  // prepare_sqlite_index_file) and loads the unmerged tail into `tail`, which must outlive the
  // writer. Writes nothing to an up-to-date file with a usable index file, so a read-only user
  // can open beside a running writer.
  sqlite_journal_writer(const std::string& path, const sqlite_options& options, sqlite_journal_tail& tail);
  ~sqlite_journal_writer();

  // The whole batch or nothing; see journal::append. May then start (or run) an index merge;
  // a failure of a background merge surfaces here, at the next append.
  void append(const append_batch& batch);
  // Waits for the merge in flight, if any, and the key runs' upkeep after it, and takes the
  // merge's result into the tail.
  void finish_index_merge();

private:
  // Where a batch's rows landed, for the tail once the batch has committed.
  struct written_rows {
    std::vector<sqlite_journal_tail::entry_row> entries;
    std::vector<sqlite_journal_tail::key_row> keys;
  };

  void load_tail();
  void write(const append_batch& batch);
  void check_log_ends();
  void check_entries(const std::vector<journal_entry>& entries);
  sqlite_journal_tail::account_state& account_of(const std::string& account);
  void check_keys(const std::vector<idempotency_record>& records);
  bool key_stored_at(const std::string& key, int64_t pos);
  void insert_entries(const std::vector<journal_entry>& entries);
  void insert_records(const std::vector<idempotency_record>& records);
  void bind_entry(sqlite_statement& insert, int column, const journal_entry& entry, decimal_buffer* amounts);
  void check_landed(int64_t expected_last_pos, const char* table);
  void upsert_snapshot(const account_snapshot& snapshot);
  void insert_leg(const inflight_leg& leg);
  void publish(const append_batch& batch);
  void take_finished_merge(std::optional<sqlite_merge_result> result);
  void finish_checkpoint() noexcept;
  void merge_if_due();
  size_t key_filter_capacity_for(size_t keys) const;
  size_t regrown_filter_capacity(size_t merged_keys) const;

  const size_t index_merge_rows_;
  const size_t unmerged_rows_max_;
  const size_t key_filter_keys_;      // the first capacity; 0: no filter
  const size_t key_filter_keys_max_;
  size_t key_filter_capacity_ = 0;    // of the filter the tail holds now
  size_t requested_filter_capacity_ = 0;  // of the filter the merge in flight rebuilds (0: none)
  sqlite_connection connection_;        // the log
  sqlite_connection index_connection_;  // the index file, only read here (the merger writes it)
  sqlite_journal_tail& tail_;
  sqlite_statement begin_;
  sqlite_statement commit_;
  sqlite_statement log_ends_;
  sqlite_statement indexed_last_seq_;
  sqlite_statement indexed_key_;
  sqlite_statement key_at_;
  sqlite_statement insert_entry_;
  sqlite_statement insert_entries_;  // sqlite_rows_per_insert rows
  sqlite_statement insert_record_;
  sqlite_statement insert_records_;  // sqlite_rows_per_insert rows
  sqlite_statement upsert_snapshot_;
  sqlite_statement insert_leg_;
  sqlite_statement delete_leg_;
  sqlite_saga_writer sagas_;
  // The highest pos this writer knows in each log table; the file must agree at each batch.
  sqlite_log_positions log_ends_known_;
  // How far the indexes reach: the tail holds exactly the rows after this, up to the ends.
  sqlite_log_positions merged_known_;
  // The index rows of the log's rows after merged_known_ (those of a merge in flight handed
  // to it), for the next merge.
  sqlite_unmerged_rows unmerged_rows_;
  // The batch in progress: scratch kept between batches so its buffers are reused.
  uint64_t batch_mark_ = 0;
  written_rows rows_;
  std::vector<std::pair<uint64_t, size_t>> key_hashes_;  // (hash, index in the batch), sorted
  std::vector<int64_t> key_candidates_;
  decimal_buffer amounts_[3 * sqlite_rows_per_insert];  // the amounts of the rows being inserted
  std::unique_ptr<sqlite_index_merger> merger_;  // last: its thread stops first
};

} // namespace ledgerflow
