// The embedded journal: an SQLite file in WAL mode, and its index file beside it
// (sqlite_index_path). append() writes the log on its own connection; reads use a small pool
// of read-only connections (the index file attached), so they never wait for a commit's fsync.
//
// The log is append-only (entries and idempotency records in arrival order); its indexes by
// (account, seq) and by key, in the index file, are filled by a bulk merge every
// index_merge_rows rows, on a thread of its own by default (sqlite_index_merger). The index
// file is derived data: open() rebuilds it from the log when it is missing or not this log's. Reads combine the merged index with the unmerged tail that this object keeps in
// memory (sqlite_journal_tail). Another process opening the same file (`ledgerflow check`
// beside a running node) loads the tail as it is then and sees at least everything committed
// before it opened; it may only read. (Its filter over the merged idempotency keys knows the
// keys merged before it opened, and its tail the rest it loaded: the same promise.)
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "persistence/journal.hpp"
#include "persistence/sqlite/sqlite_journal_tail.hpp"
#include "persistence/sqlite/sqlite_options.hpp"

namespace ledgerflow {

class sqlite_journal_writer;
class sqlite_reader_pool;

class sqlite_journal : public journal {
public:
  // Opens or creates the file (and its parent directory), switches it to WAL and migrates
  // the schema. Throws journal_error naming the path when any of that fails.
  static std::unique_ptr<sqlite_journal> open(const std::string& path, sqlite_options options = {});
  ~sqlite_journal() override;

  void append(const append_batch& batch) override;
  std::vector<journal_entry> read_entries(const std::string& account, uint64_t after_seq, size_t limit) override;
  uint64_t last_seq(const std::string& account) override;
  std::optional<account_snapshot> latest_snapshot(const std::string& account) override;
  std::optional<idempotency_record> find_idempotency(const std::string& key) override;
  std::vector<inflight_leg> inflight_legs() override;
  std::optional<saga_record> find_saga(const std::string& id) override;
  std::vector<saga_record> list_sagas(const saga_filter& filter) override;
  std::vector<saga_record> unfinished_sagas() override;
  std::vector<saga_count> saga_counts() override;
  void scan_saga_ids(const std::function<void(const std::string&)>& visit) override;
  std::vector<std::string> accounts() override;
  // Reads in pages and calls `visit` with no connection held, so `visit` may read the
  // journal too. Each account's entries are a dense prefix of its sequence.
  void scan_entries(const std::function<bool(const journal_entry&)>& visit) override;
  // False once an append failed for a reason other than a conflict: fail-stop territory.
  bool healthy() override;
  // Waits for a background index merge in flight (if any) to finish and takes its result, as
  // the next append would; throws journal_error when it failed. For tests and tooling.
  void finish_index_merge();

  const std::string& path() const { return path_; }

private:
  sqlite_journal(std::string path, const sqlite_options& options);
  std::vector<journal_entry> scan_page(const std::string& account, uint64_t seq);

  const std::string path_;
  std::mutex writer_mutex_;  // append() has one caller at a time; this makes sure of it
  sqlite_journal_tail tail_;  // before the writer, which fills it
  std::unique_ptr<sqlite_journal_writer> writer_;
  std::unique_ptr<sqlite_reader_pool> readers_;  // after the writer: closes before it
  std::atomic<bool> failed_{false};
};

} // namespace ledgerflow
