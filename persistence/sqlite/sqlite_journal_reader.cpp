#include "persistence/sqlite/sqlite_journal_reader.hpp"

#include <algorithm>
#include <limits>

#include "persistence/sqlite/sqlite_key_runs.hpp"
#include "persistence/sqlite/sqlite_schema.hpp"
#include "protocols/snapshot_codec.hpp"

namespace ledgerflow {

namespace {

constexpr const char* entry_columns =
  "e.account, e.seq, e.kind, e.bucket, e.amount, e.available_after, e.held_after, e.cause_kind, e.cause_id,"
  " e.counterparty_account, e.counterparty_bucket, e.hold_id, e.ts_us";

// CROSS JOIN keeps SQLite's planner from reordering: walk the index, then fetch each row by pos.
// The indexes are in the index file, attached to each reader as `idx`.
constexpr const char* indexed_entries = " FROM idx.entry_index AS i CROSS JOIN main.entries AS e ON e.pos = i.pos";

constexpr const char* idempotency_columns = "d.key, d.request_hash, d.response, d.created_us";

// Bounds a reserve() so a huge `limit` does not allocate before any row is read.
constexpr size_t reserve_entries_max = 1'024;

int64_t clamp_to_int64(uint64_t value) {
  return static_cast<int64_t>(std::min<uint64_t>(value, std::numeric_limits<int64_t>::max()));
}

// The log, with the index file attached (read-only too, as the connection is). A statement
// reading both starts its read of each file when it starts: after the caller copied the tail,
// which is all the order the readers need (see sqlite_journal_tail.hpp).
sqlite_connection open_for_reading(const std::string& path, const sqlite_options& options) {
  sqlite_connection connection(path, SQLITE_OPEN_READONLY);
  sqlite3_busy_timeout(connection.get(), static_cast<int>(options.busy_timeout_ms));
  sqlite_statement attach(connection.get(), "ATTACH DATABASE ?1 AS idx");
  auto index_path = sqlite_index_path(path);
  attach.bind(1, index_path);
  attach.run();
  return connection;
}

[[noreturn]] void throw_corrupt(const std::string& where, const std::string& why) {
  throw journal_error("sqlite: corrupt " + where + ": " + why);
}

minor_units amount_column(const sqlite_statement& row, int index, const std::string& where) {
  auto text = row.column_text(index);
  auto parsed = parse_decimal_integer(text);
  if (!parsed)
    throw_corrupt(where, "\"" + std::string(text) + "\" " + parsed.error().message);
  return *parsed;
}

std::string entry_where(const journal_entry& entry, const char* column) {
  return "entries." + std::string(column) + " of " + entry.account + " seq " + std::to_string(entry.seq);
}

journal_entry entry_from_row(const sqlite_statement& row) {
  journal_entry entry;
  entry.account = row.column_text(0);
  entry.seq = static_cast<uint64_t>(row.column_int64(1));
  auto kind = row.column_int64(2);
  if (kind < 0 || kind > 255 || to_string(static_cast<entry_kind>(kind)) == "unknown")
    throw_corrupt(entry_where(entry, "kind"), "unknown kind " + std::to_string(kind));
  entry.kind = static_cast<entry_kind>(kind);
  entry.bucket = row.column_text(3);
  entry.amount = amount_column(row, 4, entry_where(entry, "amount"));
  entry.available_after = amount_column(row, 5, entry_where(entry, "available_after"));
  entry.held_after = amount_column(row, 6, entry_where(entry, "held_after"));
  entry.cause_kind = row.column_text(7);
  entry.cause_id = row.column_text(8);
  entry.counterparty_account = row.column_text(9);
  entry.counterparty_bucket = row.column_text(10);
  entry.hold_id = row.column_text(11);
  entry.timestamp_us = row.column_int64(12);
  return entry;
}

idempotency_record record_from_row(const sqlite_statement& row) {
  return idempotency_record{std::string(row.column_text(0)), std::string(row.column_text(1)),
                            std::string(row.column_text(2)), row.column_int64(3)};
}

inflight_leg leg_from_row(const sqlite_statement& row) {
  inflight_leg leg;
  leg.transfer_id = row.column_text(0);
  leg.from_account = row.column_text(1);
  leg.from_bucket = row.column_text(2);
  leg.from_seq = static_cast<uint64_t>(row.column_int64(3));
  leg.to_account = row.column_text(4);
  leg.to_bucket = row.column_text(5);
  leg.asset_code = row.column_text(6);
  leg.amount = amount_column(row, 7, "inflight_legs.amount of " + leg.transfer_id);
  leg.idempotency_key = row.column_text(8);
  leg.request_hash = row.column_text(9);
  leg.timestamp_us = row.column_int64(10);
  return leg;
}

} // namespace

sqlite_journal_reader::sqlite_journal_reader(const std::string& path, const sqlite_options& options)
  : connection_(open_for_reading(path, options)),
    read_entries_(connection_.get(), std::string("SELECT ") + entry_columns + indexed_entries
                                       + " WHERE i.account = ?1 AND i.seq > ?2 AND i.pos <= ?4 ORDER BY i.seq LIMIT ?3"),
    // A row value comparison walks the index from (account, seq) onwards.
    entries_after_(connection_.get(), std::string("SELECT ") + entry_columns + indexed_entries
                                        + " WHERE (i.account, i.seq) > (?1, ?2) AND i.pos <= ?4"
                                          " ORDER BY i.account, i.seq LIMIT ?3"),
    // From the account's last seq down: rows past visible_up_to are the newest, so at most a few.
    last_seq_(connection_.get(),
              "SELECT seq FROM idx.entry_index WHERE account = ?1 AND pos <= ?2 ORDER BY seq DESC LIMIT 1"),
    latest_snapshot_(connection_.get(), "SELECT body FROM snapshots WHERE account = ?1"),
    find_idempotency_(connection_.get(), std::string("SELECT ") + idempotency_columns
                                           + " FROM idx.idempotency_index AS x CROSS JOIN main.idempotency AS d"
                                             " ON d.pos = x.pos WHERE x." + sqlite_live_runs_condition("idx.")
                                           + " AND x.key = ?1"),
    inflight_legs_(connection_.get(),
                   "SELECT transfer_id, from_account, from_bucket, from_seq, to_account, to_bucket, asset_code,"
                   " amount, idempotency_key, request_hash, ts_us FROM inflight_legs ORDER BY transfer_id"),
    // One seek per account: SQLite has no skip scan for DISTINCT without statistics.
    next_account_(connection_.get(), "SELECT account FROM idx.entry_index WHERE account > ?1 ORDER BY account LIMIT 1"),
    entry_at_(connection_.get(), std::string("SELECT ") + entry_columns + " FROM entries AS e WHERE e.pos = ?1"),
    idempotency_at_(connection_.get(),
                    std::string("SELECT ") + idempotency_columns + " FROM idempotency AS d WHERE d.pos = ?1"),
    probe_(connection_.get(), "PRAGMA user_version"),
    sagas_(connection_.get()) {}

std::vector<journal_entry> sqlite_journal_reader::read_entries(const std::string& account, uint64_t after_seq,
                                                               size_t limit, int64_t visible_up_to) {
  return collect_entries(read_entries_, account, after_seq, limit, visible_up_to);
}

std::vector<journal_entry> sqlite_journal_reader::entries_after(const std::string& account, uint64_t seq,
                                                                size_t limit, int64_t visible_up_to) {
  return collect_entries(entries_after_, account, seq, limit, visible_up_to);
}

std::vector<journal_entry> sqlite_journal_reader::collect_entries(sqlite_statement& query, const std::string& account,
                                                                  uint64_t seq, size_t limit, int64_t visible_up_to) {
  query.bind(1, account);
  query.bind(2, clamp_to_int64(seq));
  query.bind(3, clamp_to_int64(limit));
  query.bind(4, visible_up_to);
  sqlite_statement_use use(query);
  std::vector<journal_entry> entries;
  entries.reserve(std::min(limit, reserve_entries_max));
  while (use->step())
    entries.push_back(entry_from_row(query));
  return entries;
}

uint64_t sqlite_journal_reader::last_seq(const std::string& account, int64_t visible_up_to) {
  sqlite_statement_use use(last_seq_);
  use->bind(1, account);
  use->bind(2, visible_up_to);
  if (!use->step() || use->column_is_null(0))
    return 0;
  return static_cast<uint64_t>(use->column_int64(0));
}

std::optional<account_snapshot> sqlite_journal_reader::latest_snapshot(const std::string& account) {
  sqlite_statement_use use(latest_snapshot_);
  use->bind(1, account);
  if (!use->step())
    return std::nullopt;
  auto snapshot = decode_snapshot(use->column_text(0));
  if (!snapshot)
    throw_corrupt("snapshots.body of " + account, snapshot.error().message);
  if (snapshot->account != account)
    throw_corrupt("snapshots.body of " + account, "it names account " + snapshot->account);
  return std::move(*snapshot);
}

std::optional<idempotency_record> sqlite_journal_reader::find_idempotency(const std::string& key) {
  sqlite_statement_use use(find_idempotency_);
  use->bind(1, key);
  if (!use->step())
    return std::nullopt;
  return record_from_row(find_idempotency_);
}

std::vector<inflight_leg> sqlite_journal_reader::inflight_legs() {
  sqlite_statement_use use(inflight_legs_);
  std::vector<inflight_leg> legs;
  while (use->step())
    legs.push_back(leg_from_row(inflight_legs_));
  return legs;
}

std::optional<std::string> sqlite_journal_reader::next_account(const std::string& account) {
  sqlite_statement_use use(next_account_);
  use->bind(1, account);
  if (!use->step())
    return std::nullopt;
  return std::string(use->column_text(0));
}

journal_entry sqlite_journal_reader::entry_at(int64_t pos) {
  sqlite_statement_use use(entry_at_);
  use->bind(1, pos);
  if (!use->step())
    throw_corrupt("entries", "no row at pos " + std::to_string(pos) + ", which the unmerged tail names");
  return entry_from_row(entry_at_);
}

idempotency_record sqlite_journal_reader::idempotency_at(int64_t pos) {
  sqlite_statement_use use(idempotency_at_);
  use->bind(1, pos);
  if (!use->step())
    throw_corrupt("idempotency", "no row at pos " + std::to_string(pos) + ", which the unmerged tail names");
  return record_from_row(idempotency_at_);
}

void sqlite_journal_reader::probe() {
  sqlite_statement_use use(probe_);
  use->step();
}

} // namespace ledgerflow
