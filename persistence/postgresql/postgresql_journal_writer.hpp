// The PostgreSQL journal's write side: one connection, used only by append(). A batch is one
// transaction of at most seven round trips whatever its size: the fence check (when the batch
// is fenced), then one prepared multi-row statement per table (rows passed as arrays and
// unnested), then COMMIT, whose WAL flush is the batch's one fsync.
//
// The database enforces what a batch must respect (no duplicate: primary keys; no gap: the
// entries' statement trigger; a current fencing epoch: ledgerflow_check_fence); the writer only
// checks in advance what is cheaper to check in memory (a batch that contradicts itself).
#pragma once

#include <memory>
#include <string>

#include "persistence/journal.hpp"
#include "persistence/postgresql/postgresql_pqxx.hpp"

namespace ledgerflow {

class postgresql_journal_writer {
public:
  // Connects and migrates the schema; throws journal_error naming the (redacted) URL.
  explicit postgresql_journal_writer(std::string url);
  ~postgresql_journal_writer();

  // The whole batch or nothing; see journal::append and append_fenced (`fence` null: none).
  // Throws journal_conflict, journal_fenced or journal_error. After a lost connection the next
  // call reconnects.
  void append(const append_batch& batch, const journal_fence* fence);

private:
  void connect();
  void write(pqxx::work& transaction, const append_batch& batch, const journal_fence* fence);
  void insert_entries(pqxx::work& transaction, const std::vector<journal_entry>& entries);
  void insert_records(pqxx::work& transaction, const std::vector<idempotency_record>& records);
  void upsert_snapshots(pqxx::work& transaction, const std::vector<account_snapshot>& snapshots);
  void insert_legs(pqxx::work& transaction, const std::vector<inflight_leg>& legs);

  const std::string url_;
  std::unique_ptr<pqxx::connection> connection_;
};

// Checks what a batch says about itself, before any round trip: every entry has an account and a
// seq in range, and an account's entries within the batch are consecutive. Throws
// journal_conflict (or journal_error for an entry without an account), as the SQLite store does.
void check_batch_sequences(const append_batch& batch);

} // namespace ledgerflow
