// One read connection of the SQLite journal and its prepared queries. WAL lets it read the
// last committed state while the writer appends; each query is its own read transaction,
// so a batch is seen whole or not at all. Not thread-safe: sqlite_reader_pool lends it out.
//
// The by-account and by-key queries see merged rows only (they go through entry_index and
// idempotency_index, in the index file attached as `idx`); sqlite_journal adds the unmerged
// tail, fetching its rows by pos from the log.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "persistence/journal.hpp"
#include "persistence/sqlite/sqlite_handle.hpp"
#include "persistence/sqlite/sqlite_options.hpp"
#include "persistence/sqlite/sqlite_saga_log.hpp"

namespace ledgerflow {

class sqlite_journal_reader {
public:
  // The file must exist with an up-to-date schema (the writer opens first).
  sqlite_journal_reader(const std::string& path, const sqlite_options& options);

  // The by-account reads take only index rows whose pos is at most `visible_up_to`: see
  // sqlite_journal_tail.hpp for why.
  std::vector<journal_entry> read_entries(const std::string& account, uint64_t after_seq, size_t limit,
                                          int64_t visible_up_to);
  // Entries ordered by (account, seq) that come after (account, seq): one page of a scan.
  std::vector<journal_entry> entries_after(const std::string& account, uint64_t seq, size_t limit,
                                           int64_t visible_up_to);
  uint64_t last_seq(const std::string& account, int64_t visible_up_to);
  std::optional<account_snapshot> latest_snapshot(const std::string& account);
  std::optional<idempotency_record> find_idempotency(const std::string& key);
  std::vector<inflight_leg> inflight_legs();
  // The smallest account with entries that sorts after `account`.
  std::optional<std::string> next_account(const std::string& account);
  // The rows at these positions of the log. Throws journal_error when there is none: the
  // caller learnt the position from the tail, which only holds committed rows.
  journal_entry entry_at(int64_t pos);
  idempotency_record idempotency_at(int64_t pos);
  // Throws journal_error unless the file can be read.
  void probe();
  // The saga log's queries, on this reader's connection.
  sqlite_saga_reader& sagas() { return sagas_; }

private:
  // Runs a query taking (account, seq, limit, visible_up_to) as ?1..?4 into entries.
  std::vector<journal_entry> collect_entries(sqlite_statement& query, const std::string& account, uint64_t seq,
                                             size_t limit, int64_t visible_up_to);

  sqlite_connection connection_;
  sqlite_statement read_entries_;
  sqlite_statement entries_after_;
  sqlite_statement last_seq_;
  sqlite_statement latest_snapshot_;
  sqlite_statement find_idempotency_;
  sqlite_statement inflight_legs_;
  sqlite_statement next_account_;
  sqlite_statement entry_at_;
  sqlite_statement idempotency_at_;
  sqlite_statement probe_;
  sqlite_saga_reader sagas_;
};

} // namespace ledgerflow
