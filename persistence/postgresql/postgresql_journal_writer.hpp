// The PostgreSQL journal's write side: one connection, used only by append(). A batch is one
// transaction of at most eight round trips whatever its size: the fence check (when the batch
// is fenced), then one prepared multi-row statement per table (rows passed as arrays and
// unnested), then COMMIT, whose WAL flush is the batch's one fsync.
//
// The database enforces what a batch must respect (no duplicate: primary keys; no gap: the
// entries' statement trigger; a current fencing epoch: ledgerflow_check_fence); the writer only
// checks in advance what is cheaper to check in memory (a batch that contradicts itself).
#pragma once

#include <chrono>

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
  // Throws journal_conflict, journal_fenced or journal_error. A connection that broke while
  // idle (the server restarted) is found by a probe before the transaction, or by the
  // transaction itself before its COMMIT, and replaced with backoff: nothing can have been
  // committed yet. One that breaks during COMMIT is an error: whether the commit happened is
  // then unknown, so the caller must stop.
  void append(const append_batch& batch, const journal_fence* fence);

private:
  void connect();
  void ensure_connected();
  void write(pqxx::work& transaction, const append_batch& batch, const journal_fence* fence);
  void insert_entries(pqxx::work& transaction, const std::vector<journal_entry>& entries);
  void insert_records(pqxx::work& transaction, const std::vector<idempotency_record>& records);
  void upsert_snapshots(pqxx::work& transaction, const std::vector<account_snapshot>& snapshots);
  void insert_legs(pqxx::work& transaction, const std::vector<inflight_leg>& legs);
  void upsert_sagas(pqxx::work& transaction);  // newest_sagas_, which point into the batch

  const std::string url_;
  std::unique_ptr<pqxx::connection> connection_;
  std::chrono::steady_clock::time_point last_used_{};
  std::vector<const saga_record*> newest_sagas_;  // scratch, reused between batches
};

// An idle writer connection is probed before its next transaction after this long.
inline constexpr auto writer_idle_probe_after = std::chrono::seconds(1);
// Attempts to (re)connect before an append gives up, and the first wait between them (doubling).
inline constexpr int writer_connect_attempts_max = 6;
inline constexpr auto writer_connect_backoff_initial = std::chrono::milliseconds(100);

// Checks what a batch says about itself, before any round trip: every entry has an account and a
// seq in range, and an account's entries within the batch are consecutive. Throws
// journal_conflict (or journal_error for an entry without an account), as the SQLite store does.
void check_batch_sequences(const append_batch& batch);

} // namespace ledgerflow
