#include "persistence/postgresql/postgresql_rows.hpp"

#include <string>

#include "protocols/snapshot_codec.hpp"

namespace ledgerflow {

namespace {

minor_units decimal_of(const pqxx::field& field) {
  auto parsed = parse_decimal_integer(field.c_str());
  if (!parsed)
    throw journal_error(std::string("postgresql: corrupt amount in column ") + field.name() + ": \"" + field.c_str()
                        + "\"");
  return *parsed;
}

uint64_t seq_of(const pqxx::field& field) {
  auto value = field.as<int64_t>();
  if (value < 0)
    throw journal_error(std::string("postgresql: negative ") + field.name());
  return static_cast<uint64_t>(value);
}

} // namespace

journal_entry postgresql_entry_from_row(const pqxx::row& row) {
  journal_entry entry;
  entry.account = row[0].as<std::string>();
  entry.seq = seq_of(row[1]);
  auto kind = row[2].as<int>();
  if (kind < 1 || kind > 5)
    throw journal_error("postgresql: corrupt entry kind " + std::to_string(kind) + " in " + entry.account);
  entry.kind = static_cast<entry_kind>(kind);
  entry.bucket = row[3].as<std::string>();
  entry.amount = decimal_of(row[4]);
  entry.available_after = decimal_of(row[5]);
  entry.held_after = decimal_of(row[6]);
  entry.cause_kind = row[7].as<std::string>();
  entry.cause_id = row[8].as<std::string>();
  entry.counterparty_account = row[9].as<std::string>();
  entry.counterparty_bucket = row[10].as<std::string>();
  entry.hold_id = row[11].as<std::string>();
  entry.timestamp_us = row[12].as<int64_t>();
  return entry;
}

inflight_leg postgresql_leg_from_row(const pqxx::row& row) {
  inflight_leg leg;
  leg.transfer_id = row[0].as<std::string>();
  leg.from_account = row[1].as<std::string>();
  leg.from_bucket = row[2].as<std::string>();
  leg.from_seq = seq_of(row[3]);
  leg.to_account = row[4].as<std::string>();
  leg.to_bucket = row[5].as<std::string>();
  leg.asset_code = row[6].as<std::string>();
  leg.amount = decimal_of(row[7]);
  leg.idempotency_key = row[8].as<std::string>();
  leg.request_hash = row[9].as<std::string>();
  leg.timestamp_us = row[10].as<int64_t>();
  return leg;
}

idempotency_record postgresql_record_from_row(const pqxx::row& row) {
  return idempotency_record{row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::string>(),
                            row[3].as<int64_t>()};
}

saga_record postgresql_saga_from_row(const pqxx::row& row) {
  saga_record record;
  record.id = row[0].as<std::string>();
  record.type = row[1].as<std::string>();
  record.state = row[2].as<std::string>();
  record.account = row[3].as<std::string>();
  record.idempotency_key = row[4].as<std::string>();
  record.request_hash = row[5].as<std::string>();
  record.version = seq_of(row[6]);
  record.created_us = row[7].as<int64_t>();
  record.updated_us = row[8].as<int64_t>();
  record.document = row[9].as<std::string>();
  return record;
}

account_snapshot postgresql_snapshot_from_row(const pqxx::row& row) {
  auto snapshot = decode_snapshot(row[0].c_str());
  if (!snapshot)
    throw journal_error("postgresql: corrupt snapshot: " + snapshot.error().message);
  return std::move(*snapshot);
}

} // namespace ledgerflow
