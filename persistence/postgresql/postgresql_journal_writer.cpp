#include "persistence/postgresql/postgresql_journal_writer.hpp"

#include <limits>
#include <thread>
#include <map>
#include <string_view>
#include <unordered_map>

#include "persistence/postgresql/postgresql_arrays.hpp"
#include "persistence/postgresql/postgresql_connection.hpp"
#include "persistence/postgresql/postgresql_errors.hpp"
#include "persistence/postgresql/postgresql_schema.hpp"
#include "persistence/saga_log_sql.hpp"
#include "protocols/snapshot_codec.hpp"

namespace ledgerflow {

namespace {

constexpr uint64_t seq_stored_max = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

// Rows arrive as one array per column; unnest() turns them back into rows, in order.
constexpr const char* insert_entries_sql =
  "INSERT INTO entries (account, seq, kind, bucket, amount, available_after, held_after, cause_kind, cause_id,"
  " counterparty_account, counterparty_bucket, hold_id, ts_us)"
  " SELECT * FROM unnest($1::text[], $2::bigint[], $3::smallint[], $4::text[], $5::numeric[], $6::numeric[],"
  " $7::numeric[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::bigint[])";
constexpr const char* insert_records_sql =
  "INSERT INTO idempotency (key, request_hash, response, created_us)"
  " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[])";
// Latest wins by seq, not by arrival, so a stale snapshot never replaces a newer one.
constexpr const char* upsert_snapshots_sql =
  "INSERT INTO snapshots AS s (account, seq, body) SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[])"
  " ON CONFLICT (account) DO UPDATE SET seq = excluded.seq, body = excluded.body WHERE excluded.seq >= s.seq";
constexpr const char* insert_legs_sql =
  "INSERT INTO inflight_legs (transfer_id, from_account, from_bucket, from_seq, to_account, to_bucket, asset_code,"
  " amount, idempotency_key, request_hash, ts_us)"
  " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[],"
  " $8::numeric[], $9::text[], $10::text[], $11::bigint[])";
constexpr const char* delete_legs_sql = "DELETE FROM inflight_legs WHERE transfer_id = ANY($1::text[])";
// A saga's row is replaced only by a higher version, and only in what changes (its type,
// account, key, request hash and start are fixed by its first record). One statement may not
// touch a row twice, so the batch's records are deduplicated first (newest_saga_records).
const std::string upsert_sagas_sql =
  std::string("INSERT INTO sagas AS s (") + saga_columns
  + ") SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[],"
    " $8::bigint[], $9::bigint[], $10::text[])"
    " ON CONFLICT (id) DO UPDATE SET state = excluded.state, version = excluded.version,"
    " updated_us = excluded.updated_us, document = excluded.document"
    " WHERE excluded.version > s.version";
constexpr const char* check_fence_sql = "SELECT ledgerflow_check_fence($1, $2)";

} // namespace

void check_batch_sequences(const append_batch& batch) {
  std::unordered_map<std::string_view, uint64_t> last_in_batch;
  for (const auto& entry : batch.entries) {
    if (entry.account.empty())
      throw journal_error("append: an entry has no account");
    if (entry.seq == 0 || entry.seq > seq_stored_max)
      throw journal_conflict("append: " + entry.account + " seq " + std::to_string(entry.seq) + " is out of range");
    auto [last, first_of_account] = last_in_batch.emplace(entry.account, entry.seq);
    if (!first_of_account) {
      if (entry.seq != last->second + 1)
        throw journal_conflict("append: " + entry.account + " seq " + std::to_string(entry.seq) + " follows seq "
                               + std::to_string(last->second) + " in the same batch");
      last->second = entry.seq;
    }
  }
  for (const auto& snapshot : batch.snapshots)
    if (snapshot.seq > seq_stored_max)
      throw journal_error("append: snapshot of " + snapshot.account + " has an out-of-range seq");
}

postgresql_journal_writer::postgresql_journal_writer(std::string url) : url_(std::move(url)) {
  connect();
  migrate_postgresql_schema(*connection_);
}

postgresql_journal_writer::~postgresql_journal_writer() = default;

void postgresql_journal_writer::connect() {
  try {
    connection_ = connect_postgresql(url_, "writer");
    connection_->prepare("check_fence", check_fence_sql);
    connection_->prepare("insert_entries", insert_entries_sql);
    connection_->prepare("insert_records", insert_records_sql);
    connection_->prepare("upsert_snapshots", upsert_snapshots_sql);
    connection_->prepare("insert_legs", insert_legs_sql);
    connection_->prepare("delete_legs", delete_legs_sql);
    connection_->prepare("upsert_sagas", upsert_sagas_sql);
  } catch (...) {
    connection_.reset();
    rethrow_as_journal_error("postgresql: cannot connect to " + redact_postgresql_url(url_));
  }
}

// Nothing of the batch has been sent yet, so a broken connection can be replaced safely here.
void postgresql_journal_writer::ensure_connected() {
  bool fresh = connection_ && connection_->is_open()
               && std::chrono::steady_clock::now() - last_used_ < writer_idle_probe_after;
  if (fresh)
    return;
  auto backoff = writer_connect_backoff_initial;
  for (int attempt = 1;; ++attempt) {
    try {
      if (!connection_ || !connection_->is_open())
        connect();
      pqxx::nontransaction probe(*connection_);
      probe.exec("SELECT 1");
      last_used_ = std::chrono::steady_clock::now();
      return;
    } catch (const std::exception&) {
      connection_.reset();
      if (attempt >= writer_connect_attempts_max)
        rethrow_as_journal_error("append: the server does not answer (" + std::to_string(attempt) + " attempts)");
    }
    std::this_thread::sleep_for(backoff);
    backoff *= 2;
  }
}

void postgresql_journal_writer::append(const append_batch& batch, const journal_fence* fence) {
  check_batch_sequences(batch);
  newest_saga_records(batch.saga_records, newest_sagas_);
  if (batch.empty() && fence == nullptr)
    return;
  for (int attempt = 1;; ++attempt) {
    ensure_connected();
    bool committing = false;
    try {
      pqxx::work transaction(*connection_);
      write(transaction, batch, fence);
      committing = true;
      transaction.commit();
      last_used_ = std::chrono::steady_clock::now();
      return;
    } catch (const pqxx::broken_connection&) {
      connection_.reset();  // a broken connection is never reused
      // Before COMMIT was sent the server cannot have committed anything: start again on a
      // fresh connection. During COMMIT the outcome is unknown: the caller must stop.
      if (!committing && attempt < writer_connect_attempts_max)
        continue;
      rethrow_as_journal_error("append");
    } catch (...) {
      if (connection_ && !connection_->is_open())
        connection_.reset();
      rethrow_as_journal_error("append");
    }
  }
}

void postgresql_journal_writer::write(pqxx::work& transaction, const append_batch& batch,
                                      const journal_fence* fence) {
  if (fence)  // first, so the lease row is locked before anything is written
    transaction.exec_prepared1("check_fence", fence->lease, static_cast<int64_t>(fence->epoch));
  if (!batch.entries.empty())
    insert_entries(transaction, batch.entries);
  if (!batch.idempotency_records.empty())
    insert_records(transaction, batch.idempotency_records);
  if (!batch.snapshots.empty())
    upsert_snapshots(transaction, batch.snapshots);
  // Opened before closed: a transfer whose two legs share a batch leaves no in-flight row.
  if (!batch.opened_legs.empty())
    insert_legs(transaction, batch.opened_legs);
  if (!batch.closed_transfer_ids.empty()) {
    postgresql_array ids;
    for (const auto& id : batch.closed_transfer_ids)
      ids.add_text(id);
    transaction.exec_prepared0("delete_legs", ids.finish());
  }
  if (!newest_sagas_.empty())
    upsert_sagas(transaction);
}

void postgresql_journal_writer::insert_entries(pqxx::work& transaction, const std::vector<journal_entry>& entries) {
  postgresql_array account, seq, kind, bucket, amount, available, held, cause_kind, cause_id, counterparty_account,
    counterparty_bucket, hold_id, timestamp;
  for (const auto& entry : entries) {
    account.add_text(entry.account);
    seq.add_integer(static_cast<int64_t>(entry.seq));
    kind.add_integer(static_cast<int64_t>(entry.kind));
    bucket.add_text(entry.bucket);
    amount.add_decimal(entry.amount);
    available.add_decimal(entry.available_after);
    held.add_decimal(entry.held_after);
    cause_kind.add_text(entry.cause_kind);
    cause_id.add_text(entry.cause_id);
    counterparty_account.add_text(entry.counterparty_account);
    counterparty_bucket.add_text(entry.counterparty_bucket);
    hold_id.add_text(entry.hold_id);
    timestamp.add_integer(entry.timestamp_us);
  }
  transaction.exec_prepared0("insert_entries", account.finish(), seq.finish(), kind.finish(), bucket.finish(),
                             amount.finish(), available.finish(), held.finish(), cause_kind.finish(),
                             cause_id.finish(), counterparty_account.finish(), counterparty_bucket.finish(),
                             hold_id.finish(), timestamp.finish());
}

void postgresql_journal_writer::insert_records(pqxx::work& transaction,
                                               const std::vector<idempotency_record>& records) {
  postgresql_array key, request_hash, response, created;
  for (const auto& record : records) {
    key.add_text(record.key);
    request_hash.add_text(record.request_hash);
    response.add_text(record.response);
    created.add_integer(record.created_us);
  }
  transaction.exec_prepared0("insert_records", key.finish(), request_hash.finish(), response.finish(),
                             created.finish());
}

// One row per account (the highest seq of the batch): one statement may not touch a row twice.
void postgresql_journal_writer::upsert_snapshots(pqxx::work& transaction,
                                                 const std::vector<account_snapshot>& snapshots) {
  std::map<std::string_view, const account_snapshot*> latest;
  for (const auto& snapshot : snapshots) {
    auto& kept = latest[snapshot.account];
    if (kept == nullptr || snapshot.seq >= kept->seq)
      kept = &snapshot;
  }
  postgresql_array account, seq, body;
  for (const auto& [name, snapshot] : latest) {
    auto text = encode_snapshot(*snapshot);
    if (!text)
      throw journal_error("append: " + text.error().message);
    account.add_text(snapshot->account);
    seq.add_integer(static_cast<int64_t>(snapshot->seq));
    body.add_text(*text);
  }
  transaction.exec_prepared0("upsert_snapshots", account.finish(), seq.finish(), body.finish());
}

void postgresql_journal_writer::insert_legs(pqxx::work& transaction, const std::vector<inflight_leg>& legs) {
  postgresql_array transfer_id, from_account, from_bucket, from_seq, to_account, to_bucket, asset_code, amount,
    idempotency_key, request_hash, timestamp;
  for (const auto& leg : legs) {
    transfer_id.add_text(leg.transfer_id);
    from_account.add_text(leg.from_account);
    from_bucket.add_text(leg.from_bucket);
    from_seq.add_integer(static_cast<int64_t>(leg.from_seq));
    to_account.add_text(leg.to_account);
    to_bucket.add_text(leg.to_bucket);
    asset_code.add_text(leg.asset_code);
    amount.add_decimal(leg.amount);
    idempotency_key.add_text(leg.idempotency_key);
    request_hash.add_text(leg.request_hash);
    timestamp.add_integer(leg.timestamp_us);
  }
  transaction.exec_prepared0("insert_legs", transfer_id.finish(), from_account.finish(), from_bucket.finish(),
                             from_seq.finish(), to_account.finish(), to_bucket.finish(), asset_code.finish(),
                             amount.finish(), idempotency_key.finish(), request_hash.finish(), timestamp.finish());
}

// The batch's newest record of each saga, as newest_saga_records kept them (sorted by id, so
// concurrent writers would lock rows in one order).
void postgresql_journal_writer::upsert_sagas(pqxx::work& transaction) {
  postgresql_array id, type, state, account, idempotency_key, request_hash, version, created, updated, document;
  for (const auto* record : newest_sagas_) {
    id.add_text(record->id);
    type.add_text(record->type);
    state.add_text(record->state);
    account.add_text(record->account);
    idempotency_key.add_text(record->idempotency_key);
    request_hash.add_text(record->request_hash);
    version.add_integer(static_cast<int64_t>(record->version));
    created.add_integer(record->created_us);
    updated.add_integer(record->updated_us);
    document.add_text(record->document);
  }
  transaction.exec_prepared0("upsert_sagas", id.finish(), type.finish(), state.finish(), account.finish(),
                             idempotency_key.finish(), request_hash.finish(), version.finish(), created.finish(),
                             updated.finish(), document.finish());
}

} // namespace ledgerflow
