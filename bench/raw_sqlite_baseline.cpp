#include "bench/raw_sqlite_baseline.hpp"

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>

#include <sqlite3.h>

#include "protocols/transfer.hpp"

namespace ledgerflow {

namespace {

// The same tables the journal's hot path writes (schema step 2): the append-only entries and
// idempotency logs, keyed by arrival position only. The journal's indexes are filled later
// by a bulk merge, so a raw insert of "the same rows" has no index either.
constexpr const char* raw_schema = R"sql(
PRAGMA journal_mode=WAL;
CREATE TABLE entries (pos INTEGER PRIMARY KEY, account TEXT NOT NULL, seq INTEGER NOT NULL,
  kind INTEGER NOT NULL, bucket TEXT NOT NULL, amount TEXT NOT NULL, available_after TEXT NOT NULL,
  held_after TEXT NOT NULL, cause_kind TEXT NOT NULL, cause_id TEXT NOT NULL,
  counterparty_account TEXT NOT NULL, counterparty_bucket TEXT NOT NULL, hold_id TEXT NOT NULL,
  ts_us INTEGER NOT NULL) STRICT;
CREATE TABLE idempotency (pos INTEGER PRIMARY KEY, key TEXT NOT NULL, request_hash TEXT NOT NULL,
  response TEXT NOT NULL, created_us INTEGER NOT NULL) STRICT;
)sql";

void exec(sqlite3* db, const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : "unknown error";
    sqlite3_free(message);
    throw std::runtime_error("raw sqlite: " + text);
  }
}

void bind_text(sqlite3_stmt* statement, int index, const std::string& text) {
  sqlite3_bind_text(statement, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

void step_and_reset(sqlite3_stmt* statement) {
  if (sqlite3_step(statement) != SQLITE_DONE)
    throw std::runtime_error("raw sqlite: insert failed");
  sqlite3_reset(statement);
}

// One leg of transfer `index`, shaped like the journal's rows (ids and texts of equal size).
void insert_leg(sqlite3_stmt* insert, size_t index, bool outgoing, const std::string& transfer_id) {
  auto account = "user:bench" + std::to_string((index * 2 + (outgoing ? 0 : 1)) % 10'000);
  bind_text(insert, 1, account);
  sqlite3_bind_int64(insert, 2, static_cast<sqlite3_int64>(index + 1));
  sqlite3_bind_int64(insert, 3, outgoing ? 2 : 1);
  bind_text(insert, 4, "banking/USD");
  bind_text(insert, 5, "1");
  bind_text(insert, 6, "99999");
  bind_text(insert, 7, "0");
  bind_text(insert, 8, "transfer");
  bind_text(insert, 9, transfer_id);
  bind_text(insert, 10, "user:bench" + std::to_string(index % 10'000));
  bind_text(insert, 11, "banking/USD");
  bind_text(insert, 12, "");
  sqlite3_bind_int64(insert, 13, 1'700'000'000'000'000);
  step_and_reset(insert);
}

} // namespace

raw_sqlite_result measure_raw_sqlite(const std::string& path, size_t transfers, size_t transfers_per_batch,
                                     const sqlite_options& options) {
  std::remove(path.c_str());
  std::remove((path + "-wal").c_str());
  std::remove((path + "-shm").c_str());
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK)
    throw std::runtime_error("raw sqlite: cannot open " + path);
  exec(db, raw_schema);
  exec(db, "PRAGMA synchronous=" + std::string(to_string(options.synchronous)));
  // The journal's checkpoint interval: checkpoints copy every appended page a second time.
  exec(db, "PRAGMA wal_autocheckpoint=" + std::to_string(options.wal_autocheckpoint_pages));
  sqlite3_stmt* insert_entry = nullptr;
  sqlite3_stmt* insert_key = nullptr;
  sqlite3_prepare_v2(db,
                     "INSERT INTO entries (account, seq, kind, bucket, amount, available_after, held_after,"
                     " cause_kind, cause_id, counterparty_account, counterparty_bucket, hold_id, ts_us)"
                     " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                     -1, &insert_entry, nullptr);
  sqlite3_prepare_v2(db, "INSERT INTO idempotency (key, request_hash, response, created_us) VALUES (?,?,?,?)", -1,
                     &insert_key, nullptr);
  const std::string hash(64, 'a');
  // A stored receipt as the ledger writes it (its size is what matters here).
  const std::string response = encode_receipt(transfer_receipt{"tr_0123456789ab_1000000000000000", "user:bench1234",
                                                               "banking/USD", 1234, "user:bench5678", "banking/USD",
                                                               5678, "USD", 1, 1'700'000'000'000'000});
  auto started = std::chrono::steady_clock::now();
  for (size_t first = 0; first < transfers; first += transfers_per_batch) {
    exec(db, "BEGIN");
    for (size_t index = first; index < std::min(transfers, first + transfers_per_batch); ++index) {
      auto transfer_id = "tr_0123456789ab_" + std::to_string(1'000'000'000'000'000 + index);
      insert_leg(insert_entry, index, true, transfer_id);
      insert_leg(insert_entry, index, false, transfer_id);
      bind_text(insert_key, 1, "bench-key-" + std::to_string(index));
      bind_text(insert_key, 2, hash);
      bind_text(insert_key, 3, response);
      sqlite3_bind_int64(insert_key, 4, 1'700'000'000'000'000);
      step_and_reset(insert_key);
    }
    exec(db, "COMMIT");
  }
  auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  sqlite3_finalize(insert_entry);
  sqlite3_finalize(insert_key);
  sqlite3_close(db);
  raw_sqlite_result result;
  result.transfers_per_s = static_cast<double>(transfers) / elapsed;
  result.rows_per_s = result.transfers_per_s * 3;
  return result;
}

} // namespace ledgerflow
