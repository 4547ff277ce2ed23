// The deferred half of the append-only journal: puts the rows appended between two log
// positions into entry_index and idempotency_index, and records in index_meta how far each
// index now reaches. Rows go in sorted by the index key, so each index page takes all its new
// rows at once instead of one page write per row per batch.
//
// The indexes live in a file of their own (sqlite_index_path), which only the merger writes:
// appends and merge chunks never wait for each other's write lock, and no append commit
// invalidates the merger's page cache. The merger may run on its own thread
// (index_merge_background), so the append path neither pays for a merge nor waits for one. A
// merge commits in chunks of index_merge_chunk_rows rows, and only the last chunk moves
// index_meta. A crash between chunks leaves entry rows indexed beyond index_meta; the next
// merge finds them there at the same pos and goes on (a row there at another pos is a
// duplicate, which stops the journal). The keys go into a new run of sorted keys
// (sqlite_key_runs.hpp), live only with the last chunk: a crash leaves a run that is not,
// which the merger deletes. Between merges its thread compacts the runs, a slice at a time.
// Readers cope with a row in both index and tail (see sqlite_journal_tail.hpp). The index file
// commits with synchronous=NORMAL: it is derived data; lost (or not this log's), it is rebuilt
// from the log at open.
//
// Off the writer thread it also runs the log's WAL checkpoints (on its log connection), when an
// append's commit reports the log has grown past wal_autocheckpoint_pages. Such a checkpoint
// races the appends, so it rarely copies the last frames and the log never starts over from its
// beginning (SQLite restarts it only at a write that finds every frame copied): under steady
// load it grew by ~11 MB a second (bench journal: 455 MB after 40 s). So once one has run, the
// writer copies the few frames appended since between two of its transactions
// (sqlite_journal_writer::finish_checkpoint), and its next transaction restarts the log.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "persistence/key_filter.hpp"
#include "persistence/sqlite/sqlite_handle.hpp"
#include "persistence/sqlite/sqlite_key_runs.hpp"
#include "persistence/sqlite/sqlite_options.hpp"
#include "persistence/sqlite/sqlite_schema.hpp"
#include "persistence/sqlite/sqlite_unmerged_rows.hpp"

namespace ledgerflow {

// What the index mergers of this process have spent so far, for benchmarks and profiling:
// index rows written (entries and keys), and the CPU time of the threads that merged them
// (the filter rebuild and the key runs' upkeep included), of that the key runs' upkeep
// alone (compactions, deleting replaced runs), and of the log's checkpoints.
struct sqlite_merge_totals {
  uint64_t rows = 0;
  uint64_t merge_cpu_ns = 0;
  uint64_t key_upkeep_cpu_ns = 0;
  uint64_t checkpoint_cpu_ns = 0;
  uint64_t index_pages_written = 0;  // by merges and key-run upkeep, into the index file's WAL
};
sqlite_merge_totals read_sqlite_merge_totals();

// A filter sized for `capacity_keys` holding every key now in idempotency_index: one walk of
// the index in key order, inside whatever transaction is open on `connection` (else its own).
std::unique_ptr<key_filter> read_merged_key_filter(sqlite_connection& connection, size_t capacity_keys);

// What a finished merge leaves for the writer: how far the indexes now reach, and a rebuilt
// key filter when one was asked for.
struct sqlite_merge_result {
  sqlite_log_positions up_to;
  std::unique_ptr<key_filter> rebuilt_filter;
};

class sqlite_index_merger {
public:
  // `log_path` is the journal's file; the index file beside it (sqlite_index_path) must be
  // prepared (prepare_sqlite_index_file) before.
  sqlite_index_merger(const std::string& log_path, const sqlite_options& options);
  // Finishes the merge in flight (a merge cut short would only be redone), then stops.
  ~sqlite_index_merger();
  sqlite_index_merger(const sqlite_index_merger&) = delete;
  sqlite_index_merger& operator=(const sqlite_index_merger&) = delete;

  bool background() const { return background_; }

  // The rows of one merge in index order; defined and used in the .cpp only.
  struct entry_rows;
  struct key_rows;

  // Indexes `rows`, the log's rows after `from` up to `up_to` (which index_meta must say are
  // unmerged), and when filter_capacity_keys > 0 reads a new filter of that capacity from the
  // index. In the background when the merger has its thread: see finished(); else now, on
  // this thread. A duplicate (account, seq) or key is a journal_error, never a
  // journal_conflict: the batches holding it are committed, so the journal is inconsistent
  // and the node must stop.
  void start(const sqlite_log_positions& from, const sqlite_log_positions& up_to, size_t filter_capacity_keys,
             sqlite_unmerged_rows rows);
  bool running();
  // The merge that finished since the last call, if any; rethrows its failure.
  std::optional<sqlite_merge_result> finished();
  // Waits for the merge in flight, then as finished().
  std::optional<sqlite_merge_result> wait();
  // Waits also for the key runs' upkeep to end (compactions, deleting replaced runs): then
  // the index file stays as it is until the next merge.
  std::optional<sqlite_merge_result> settle();

  // An append's commit left `wal_pages` pages in the log: past the checkpoint interval, the
  // merger's thread checkpoints it. Called from SQLite's WAL hook on the writer thread.
  // Whether a checkpoint has run since the last call (the writer then finishes it).
  bool take_checkpointed() { return checkpointed_.exchange(false, std::memory_order_acq_rel); }
  void on_wal_grown(int wal_pages);

private:
  struct job {
    sqlite_log_positions from;
    sqlite_log_positions up_to;
    size_t filter_capacity_keys = 0;
    sqlite_unmerged_rows rows;
  };
  sqlite_merge_result merge(job& work);
  sqlite_merge_result measured_merge(job& work);
  bool measured_upkeep_step();
  void count_pages_written();
  uint64_t cpu_ns_less_checkpoints(uint64_t cpu_started, uint64_t checkpoint_cpu_before) const;
  void merge_entries(job& work, bool& first_chunk, bool has_keys);
  void merge_keys(job& work, bool& first_chunk);
  void begin_chunk(const job& work, bool& first_chunk);
  void end_chunk(const job& work, bool last);
  void insert_entries(const entry_rows& rows, size_t first, size_t count);
  void confirm_entry_indexed(std::string_view account, uint64_t seq, int64_t pos);
  void record_merged(const sqlite_log_positions& up_to);
  void run();
  void checkpoint() noexcept;
  void checkpoint_if_due() noexcept;

  const bool background_;
  const size_t chunk_rows_;
  const int checkpoint_pages_;
  sqlite_connection log_connection_;  // checkpoints the log
  sqlite_connection connection_;      // the index file: the only one writing it
  sqlite_statement begin_;
  sqlite_statement commit_;
  sqlite_statement insert_entry_;
  sqlite_statement insert_entries_;  // sqlite_rows_per_insert rows a statement
  sqlite_statement indexed_entry_pos_;
  sqlite_statement write_merged_;
  sqlite_key_runs key_runs_;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::optional<job> pending_;
  bool running_ = false;
  bool checkpoint_due_ = false;
  bool upkeep_due_ = false;  // key runs to compact or delete (sqlite_key_runs::step); with a thread, from open
  std::atomic<bool> checkpointed_{false};
  uint64_t checkpoint_cpu_ns_ = 0;  // this merger's checkpoints so far; its merging thread only
  bool stopping_ = false;
  std::optional<sqlite_merge_result> finished_;
  std::exception_ptr failure_;
  std::thread thread_;  // last: starts once everything above is ready
};

} // namespace ledgerflow
