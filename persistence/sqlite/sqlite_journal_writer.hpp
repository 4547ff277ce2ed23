// The SQLite journal's write side: one connection, used only by append(), with every
// statement prepared once. Each batch is one BEGIN IMMEDIATE ... COMMIT.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "persistence/journal.hpp"
#include "persistence/sqlite/sqlite_handle.hpp"
#include "persistence/sqlite/sqlite_options.hpp"

namespace ledgerflow {

class sqlite_journal_writer {
public:
  // Opens (creating) the file, switches it to WAL and brings the schema up to date.
  sqlite_journal_writer(const std::string& path, const sqlite_options& options);

  // The whole batch or nothing; see journal::append.
  void append(const append_batch& batch);

private:
  // One account's entries in a batch: seqs first..last, already checked to be consecutive.
  struct account_run {
    uint64_t first_seq = 0;
    uint64_t last_seq = 0;
  };
  using account_runs = std::unordered_map<std::string_view, account_run>;

  static account_runs plan_runs(const std::vector<journal_entry>& entries);
  void write(const append_batch& batch, const account_runs& runs);
  void check_heads(const account_runs& runs);
  void insert_entry(const journal_entry& entry);
  void insert_idempotency(const idempotency_record& record);
  void upsert_snapshot(const account_snapshot& snapshot);
  void insert_leg(const inflight_leg& leg);
  void rollback() noexcept;

  sqlite_connection connection_;
  sqlite_statement begin_;
  sqlite_statement commit_;
  sqlite_statement last_seq_;
  sqlite_statement insert_entry_;
  sqlite_statement insert_idempotency_;
  sqlite_statement upsert_snapshot_;
  sqlite_statement insert_leg_;
  sqlite_statement delete_leg_;
};

} // namespace ledgerflow
