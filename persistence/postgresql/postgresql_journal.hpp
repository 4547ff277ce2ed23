// The journal on a PostgreSQL server (postgresql://... URLs): for operators who need a shared,
// replicated, backed-up database, and for the cluster. Plain batched SQL: append() writes a
// batch in one transaction on the writer's connection (postgresql_journal_writer); reads use a
// small pool of other connections, so any thread may read while the journal writer appends.
//
// The tables live in the connection's current schema (see postgresql_schema.hpp). Fencing:
// append_fenced() is refused (journal_fenced) unless its lease is at that epoch
// (postgresql_leases.hpp takes, renews and releases leases).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "persistence/journal.hpp"
#include "persistence/postgresql/postgresql_options.hpp"

namespace ledgerflow {

class key_filter;
class postgresql_journal_writer;
class postgresql_reader_pool;

class postgresql_journal : public journal {
public:
  // Connects, migrates the schema and checks that reads work. Throws journal_error naming the
  // URL (without its password) when any of that fails.
  static std::unique_ptr<postgresql_journal> open(const std::string& url, postgresql_options options = {});
  ~postgresql_journal() override;

  void append(const append_batch& batch) override;
  void append_fenced(const append_batch& batch, const journal_fence& fence) override;
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
  // Reads in pages (keyset: after the last (account, seq) seen) and calls `visit` with no
  // connection held, so `visit` may read the journal too.
  void scan_entries(const std::function<bool(const journal_entry&)>& visit) override;
  // False once an append failed for a reason other than a conflict or a fence (fail-stop
  // territory), or while the server does not answer.
  bool healthy() override;

private:
  postgresql_journal(const std::string& url, const postgresql_options& options);
  void write(const append_batch& batch, const journal_fence* fence);
  void load_keys();

  static constexpr size_t filter_keys_min = size_t{1} << 22;  // 5 MiB of filter
  static constexpr size_t key_load_page_rows = 100'000;

  std::mutex writer_mutex_;  // append() has one caller at a time; this makes sure of it
  std::unique_ptr<postgresql_journal_writer> writer_;
  std::unique_ptr<postgresql_reader_pool> readers_;
  // Every key of the idempotency table at open, and every key this process appended since:
  // find_idempotency of a key it has certainly never seen answers without a round trip (most
  // keys are new). Only this process writes the journal (a second writer is fenced, see
  // postgresql_leases.hpp); were another one to add a key behind its back, the append of a
  // repeat would hit the table's primary key and fail-stop, never process it twice.
  std::unique_ptr<key_filter> keys_;
  std::atomic<bool> failed_{false};
};

} // namespace ledgerflow
