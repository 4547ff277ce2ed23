// What the PostgreSQL journal's tables hold, as C++ values: the column lists of the selects and
// the decoding of their rows. Stored rows are decoded strictly; a value that does not parse is a
// corrupt journal (journal_error), never a silent zero.
#pragma once

#include "persistence/journal.hpp"
#include "persistence/postgresql/postgresql_pqxx.hpp"

namespace ledgerflow {

// SELECT lists, in the order the decoders below expect.
inline constexpr const char* postgresql_entry_columns =
  "account, seq, kind, bucket, amount, available_after, held_after, cause_kind, cause_id, counterparty_account,"
  " counterparty_bucket, hold_id, ts_us";
inline constexpr const char* postgresql_leg_columns =
  "transfer_id, from_account, from_bucket, from_seq, to_account, to_bucket, asset_code, amount, idempotency_key,"
  " request_hash, ts_us";

journal_entry postgresql_entry_from_row(const pqxx::row& row);
inflight_leg postgresql_leg_from_row(const pqxx::row& row);
// A row of (key, request_hash, response, created_us).
idempotency_record postgresql_record_from_row(const pqxx::row& row);
// A row of saga_columns (persistence/saga_log_sql.hpp).
saga_record postgresql_saga_from_row(const pqxx::row& row);
// A row of (body): the snapshot's text (protocols/snapshot_codec.hpp).
account_snapshot postgresql_snapshot_from_row(const pqxx::row& row);

} // namespace ledgerflow
