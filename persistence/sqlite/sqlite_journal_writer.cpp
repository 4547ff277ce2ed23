#include "persistence/sqlite/sqlite_journal_writer.hpp"

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <limits>
#include <unordered_set>

#include "persistence/sqlite/sqlite_schema.hpp"
#include "protocols/snapshot_codec.hpp"

namespace ledgerflow {

namespace {

constexpr uint64_t seq_stored_max = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

std::string pragma_synchronous(sqlite_synchronous mode) {
  return "PRAGMA synchronous = " + std::string(to_string(mode));
}

void switch_to_wal(sqlite_connection& connection) {
  sqlite_statement pragma(connection.get(), "PRAGMA journal_mode = WAL");
  sqlite_statement_use use(pragma);
  // SQLite answers with the mode it ended up in, which is not WAL on some file systems.
  if (!use->step() || use->column_text(0) != "wal")
    throw journal_error("sqlite: cannot switch the journal to WAL mode");
}

sqlite_connection open_for_writing(const std::string& path, const sqlite_options& options) {
  sqlite_connection connection(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  sqlite3_busy_timeout(connection.get(), static_cast<int>(options.busy_timeout_ms));
  switch_to_wal(connection);
  connection.execute(pragma_synchronous(options.synchronous).c_str(), "set synchronous");
  auto tuning = "PRAGMA cache_size = -" + std::to_string(options.writer_cache_kib)
                + "; PRAGMA wal_autocheckpoint = " + std::to_string(options.wal_autocheckpoint_pages);
  connection.execute(tuning.c_str(), "set the cache size and checkpoint interval");
  migrate_sqlite_schema(connection);
  return connection;
}

} // namespace

sqlite_journal_writer::sqlite_journal_writer(const std::string& path, const sqlite_options& options,
                                             sqlite_journal_tail& tail)
  : index_merge_rows_(options.index_merge_rows),
    key_filter_keys_(options.idempotency_filter_keys),
    key_filter_keys_max_(options.idempotency_filter_keys_max),
    connection_(open_for_writing(path, options)),
    tail_(tail),
    begin_(connection_.get(), "BEGIN IMMEDIATE"),
    commit_(connection_.get(), "COMMIT"),
    // Both are the last row of a rowid table: one step down the right edge of each B-tree.
    log_ends_(connection_.get(), "SELECT (SELECT coalesce(max(pos), 0) FROM entries),"
                                 " (SELECT coalesce(max(pos), 0) FROM idempotency)"),
    indexed_last_seq_(connection_.get(), "SELECT max(seq) FROM entry_index WHERE account = ?1"),
    indexed_key_(connection_.get(), "SELECT 1 FROM idempotency_index WHERE key = ?1"),
    insert_entry_(connection_.get(),
                  "INSERT INTO entries (account, seq, kind, bucket, amount, available_after, held_after,"
                  " cause_kind, cause_id, counterparty_account, counterparty_bucket, hold_id, ts_us)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"),
    insert_idempotency_(connection_.get(),
                        "INSERT INTO idempotency (key, request_hash, response, created_us)"
                        " VALUES (?1, ?2, ?3, ?4)"),
    // Latest wins by seq, not by arrival, so a stale snapshot can never replace a newer one.
    upsert_snapshot_(connection_.get(),
                     "INSERT INTO snapshots (account, seq, body) VALUES (?1, ?2, ?3)"
                     " ON CONFLICT (account) DO UPDATE SET seq = excluded.seq, body = excluded.body"
                     " WHERE excluded.seq >= snapshots.seq"),
    insert_leg_(connection_.get(),
                "INSERT INTO inflight_legs (transfer_id, from_account, from_bucket, from_seq, to_account,"
                " to_bucket, asset_code, amount, idempotency_key, request_hash, ts_us)"
                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"),
    delete_leg_(connection_.get(), "DELETE FROM inflight_legs WHERE transfer_id = ?1"),
    merger_(connection_) {
  load_tail();
}

// What a crash between a batch's commit and the next merge leaves: rows past the merged
// positions. Read, not merged, so opening needs no write (and no write lock). One read
// transaction, so the tail and the log ends describe the same moment.
void sqlite_journal_writer::load_tail() {
  sqlite_statement entries(connection_.get(), "SELECT account, seq, pos FROM entries WHERE pos > ?1 ORDER BY pos");
  sqlite_statement keys(connection_.get(), "SELECT key, pos FROM idempotency WHERE pos > ?1 ORDER BY pos");
  connection_.execute("BEGIN", "begin reading the unmerged tail");
  try {
    merged_known_ = merger_.merged();
    written_rows rows;
    entries.bind(1, merged_known_.entries);
    for (sqlite_statement_use use(entries); use->step();)
      rows.entries.push_back({std::string(use->column_text(0)), static_cast<uint64_t>(use->column_int64(1)),
                              use->column_int64(2)});
    keys.bind(1, merged_known_.idempotency);
    for (sqlite_statement_use use(keys); use->step();)
      rows.keys.push_back({std::string(use->column_text(0)), use->column_int64(1)});
    {
      sqlite_statement_use use(log_ends_);
      use->step();
      log_ends_known_ = {use->column_int64(0), use->column_int64(1)};
    }
    if (merged_known_.entries > log_ends_known_.entries || merged_known_.idempotency > log_ends_known_.idempotency)
      throw journal_error("sqlite: corrupt journal_meta: the indexes reach past the end of the log");
    // Sized for the unmerged keys too, so the next merge need not grow it at once.
    std::unique_ptr<key_filter> merged_keys;
    if (key_filter_keys_ > 0) {
      key_filter_capacity_ = key_filter_capacity_for(static_cast<size_t>(log_ends_known_.idempotency));
      merged_keys = merger_.filter_of_merged_keys(key_filter_capacity_);
    }
    connection_.execute("COMMIT", "end reading the unmerged tail");
    tail_.add(rows.entries, rows.keys);
    tail_.set_merged_key_filter(std::move(merged_keys));
  } catch (...) {
    rollback();
    throw;
  }
}

void sqlite_journal_writer::append(const append_batch& batch) {
  if (batch.empty())
    return;
  // Checked before the transaction: a batch that contradicts itself never touches the file.
  auto runs = plan_runs(batch.entries);
  check_keys_distinct(batch.idempotency_records);
  written_rows rows;
  begin_.run();
  try {
    rows = write(batch, runs);
    commit_.run();
  } catch (...) {
    rollback();
    throw;
  }
  // Only a committed batch reaches the tail; a failed one leaves at most the heads it read.
  publish(rows);
  merge_if_due();
}

sqlite_journal_writer::account_runs sqlite_journal_writer::plan_runs(const std::vector<journal_entry>& entries) {
  account_runs runs;
  for (const auto& entry : entries) {
    if (entry.account.empty())
      throw journal_error("append: an entry has no account");
    if (entry.seq == 0 || entry.seq > seq_stored_max)
      throw journal_conflict("append: " + entry.account + " seq " + std::to_string(entry.seq) + " is out of range");
    auto [run, first] = runs.try_emplace(entry.account, account_run{entry.seq, entry.seq});
    if (first)
      continue;
    if (entry.seq != run->second.last_seq + 1)
      throw journal_conflict("append: " + entry.account + " seq " + std::to_string(entry.seq) + " follows seq "
                             + std::to_string(run->second.last_seq) + " in the same batch");
    run->second.last_seq = entry.seq;
  }
  return runs;
}

void sqlite_journal_writer::check_keys_distinct(const std::vector<idempotency_record>& records) {
  std::unordered_set<std::string_view> seen;
  for (const auto& record : records)
    if (!seen.insert(record.key).second)
      throw journal_conflict("append: idempotency key " + record.key + " appears twice in the batch");
}

sqlite_journal_writer::written_rows sqlite_journal_writer::write(const append_batch& batch,
                                                                 const account_runs& runs) {
  check_log_ends();
  check_heads(runs);
  for (const auto& record : batch.idempotency_records)
    check_key_unused(record);
  written_rows rows;
  rows.entries.reserve(batch.entries.size());
  for (const auto& entry : batch.entries)
    rows.entries.push_back({entry.account, entry.seq, insert_entry(entry)});
  rows.keys.reserve(batch.idempotency_records.size());
  for (const auto& record : batch.idempotency_records)
    rows.keys.push_back({record.key, insert_idempotency(record)});
  for (const auto& snapshot : batch.snapshots)
    upsert_snapshot(snapshot);
  // Opened before closed: a transfer whose two legs share a batch leaves no in-flight row.
  for (const auto& leg : batch.opened_legs)
    insert_leg(leg);
  for (const auto& transfer_id : batch.closed_transfer_ids) {
    delete_leg_.bind(1, transfer_id);
    delete_leg_.run();
  }
  return rows;
}

// The heads and the tail describe the log this writer wrote. Had another process appended,
// the density checks below would pass on stale heads and the duplicate would surface only at
// the merge; so a log that grew behind this writer's back stops it here, before any write.
void sqlite_journal_writer::check_log_ends() {
  sqlite_statement_use use(log_ends_);
  use->step();
  sqlite_log_positions ends{use->column_int64(0), use->column_int64(1)};
  if (ends.entries != log_ends_known_.entries || ends.idempotency != log_ends_known_.idempotency)
    throw journal_error("append: another process has written to the journal since this one opened it "
                        "(log ends at entry " + std::to_string(ends.entries) + ", expected "
                        + std::to_string(log_ends_known_.entries) + "); a journal file takes one writer");
}

// Density against what is stored, inside the batch's transaction. A warm account costs no
// read; the merged index's primary key refuses a duplicate if this were ever bypassed.
void sqlite_journal_writer::check_heads(const account_runs& runs) {
  for (const auto& [account, run] : runs) {
    uint64_t stored = stored_head(account);
    if (run.first_seq != stored + 1)
      throw journal_conflict("append: " + std::string(account) + " batch starts at seq "
                             + std::to_string(run.first_seq) + " but the journal ends at seq "
                             + std::to_string(stored) + (run.first_seq <= stored ? " (duplicate)" : " (gap)"));
  }
}

// The account's last seq: the tail knows it for every account seen since open (unless it
// dropped its heads); otherwise every entry of the account is merged, so the index knows.
uint64_t sqlite_journal_writer::stored_head(std::string_view account) {
  if (auto head = tail_.last_seq(account))
    return *head;
  uint64_t head = 0;
  {
    sqlite_statement_use query(indexed_last_seq_);
    query->bind(1, account);
    if (query->step() && !query->column_is_null(0))
      head = static_cast<uint64_t>(query->column_int64(0));
  }
  tail_.remember_head(account, head);
  return head;
}

void sqlite_journal_writer::check_key_unused(const idempotency_record& record) {
  auto location = tail_.locate_key(record.key);
  bool stored = location.unmerged_pos.has_value();
  if (!stored && location.maybe_merged) {
    sqlite_statement_use query(indexed_key_);
    query->bind(1, record.key);
    stored = query->step();
  }
  if (stored)
    throw journal_conflict("append: idempotency key " + record.key + " is already stored");
}

int64_t sqlite_journal_writer::insert_entry(const journal_entry& entry) {
  // The decimal strings must outlive run(): they are bound without a copy.
  auto amount = to_decimal_string(entry.amount);
  auto available_after = to_decimal_string(entry.available_after);
  auto held_after = to_decimal_string(entry.held_after);
  auto& insert = insert_entry_;
  insert.bind(1, entry.account);
  insert.bind(2, static_cast<int64_t>(entry.seq));
  insert.bind(3, static_cast<int64_t>(entry.kind));
  insert.bind(4, entry.bucket);
  insert.bind(5, amount);
  insert.bind(6, available_after);
  insert.bind(7, held_after);
  insert.bind(8, entry.cause_kind);
  insert.bind(9, entry.cause_id);
  insert.bind(10, entry.counterparty_account);
  insert.bind(11, entry.counterparty_bucket);
  insert.bind(12, entry.hold_id);
  insert.bind(13, entry.timestamp_us);
  insert.run();
  return sqlite3_last_insert_rowid(connection_.get());
}

int64_t sqlite_journal_writer::insert_idempotency(const idempotency_record& record) {
  insert_idempotency_.bind(1, record.key);
  insert_idempotency_.bind(2, record.request_hash);
  insert_idempotency_.bind(3, record.response);
  insert_idempotency_.bind(4, record.created_us);
  insert_idempotency_.run();
  return sqlite3_last_insert_rowid(connection_.get());
}

void sqlite_journal_writer::upsert_snapshot(const account_snapshot& snapshot) {
  if (snapshot.seq > seq_stored_max)
    throw journal_error("append: snapshot of " + snapshot.account + " has an out-of-range seq");
  auto body = encode_snapshot(snapshot);
  if (!body)
    throw journal_error("append: " + body.error().message);
  upsert_snapshot_.bind(1, snapshot.account);
  upsert_snapshot_.bind(2, static_cast<int64_t>(snapshot.seq));
  upsert_snapshot_.bind(3, *body);
  upsert_snapshot_.run();
}

void sqlite_journal_writer::insert_leg(const inflight_leg& leg) {
  auto amount = to_decimal_string(leg.amount);
  auto& insert = insert_leg_;
  insert.bind(1, leg.transfer_id);
  insert.bind(2, leg.from_account);
  insert.bind(3, leg.from_bucket);
  insert.bind(4, static_cast<int64_t>(leg.from_seq));
  insert.bind(5, leg.to_account);
  insert.bind(6, leg.to_bucket);
  insert.bind(7, leg.asset_code);
  insert.bind(8, amount);
  insert.bind(9, leg.idempotency_key);
  insert.bind(10, leg.request_hash);
  insert.bind(11, leg.timestamp_us);
  try {
    insert.run();
  } catch (const journal_conflict& conflict) {
    throw journal_conflict("append: transfer " + leg.transfer_id + " is already in flight: " + conflict.what());
  }
}

void sqlite_journal_writer::publish(const written_rows& rows) {
  tail_.add(rows.entries, rows.keys);  // the heads move with the entries
  if (!rows.entries.empty())
    log_ends_known_.entries = rows.entries.back().pos;
  if (!rows.keys.empty())
    log_ends_known_.idempotency = rows.keys.back().pos;
}

// Runs right after a commit, in its own transaction, so the batch that tips the tail over
// the threshold pays for the merge (a pause of its ack), not every batch a little.
void sqlite_journal_writer::merge_if_due() {
  auto entries = tail_.entry_count();
  auto keys = tail_.key_count();
  if ((entries == 0 && keys == 0) || (entries < index_merge_rows_ && keys < index_merge_rows_))
    return;
  // Positions are dense (rowids are max + 1, and only this writer appends), so the tail holds
  // exactly the rows between the merged position and the end of each log.
  assert(static_cast<int64_t>(entries) == log_ends_known_.entries - merged_known_.entries);
  assert(static_cast<int64_t>(keys) == log_ends_known_.idempotency - merged_known_.idempotency);
  merger_.merge(tail_, merged_known_, log_ends_known_);
  merged_known_ = log_ends_known_;
  // Dense positions again: the index now holds as many keys as the log's last pos.
  tail_.clear_merged(regrown_key_filter(static_cast<size_t>(merged_known_.idempotency)));
}

// The first capacity, doubled until it holds `keys` or reaches the maximum.
size_t sqlite_journal_writer::key_filter_capacity_for(size_t keys) const {
  size_t capacity = std::min(key_filter_keys_, key_filter_keys_max_);
  while (capacity < keys && capacity < key_filter_keys_max_)
    capacity = std::min(capacity * 2, key_filter_keys_max_);
  return capacity;
}

// A filter read afresh from the index once the merged keys have outgrown the current one;
// none while they fit (the tail adds the merged keys to the current one instead).
std::unique_ptr<key_filter> sqlite_journal_writer::regrown_key_filter(size_t merged_keys) {
  if (key_filter_capacity_ == 0 || merged_keys <= key_filter_capacity_ || key_filter_capacity_ >= key_filter_keys_max_)
    return nullptr;
  auto capacity = key_filter_capacity_for(merged_keys);
  try {
    auto filter = merger_.filter_of_merged_keys(capacity);
    key_filter_capacity_ = capacity;
    return filter;
  } catch (const journal_error&) {
    // The merge has committed; the filter only saves reads. The current one takes the keys,
    // over-full for a while (more false positives), and the next merge tries again.
    return nullptr;
  }
}

void sqlite_journal_writer::rollback() noexcept {
  // After some errors (a full disk, an I/O error) SQLite has already rolled back itself.
  if (sqlite3_get_autocommit(connection_.get()) == 0)
    sqlite3_exec(connection_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
}

} // namespace ledgerflow
