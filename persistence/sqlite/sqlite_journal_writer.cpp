#include "persistence/sqlite/sqlite_journal_writer.hpp"

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <limits>

#include "persistence/sqlite/sqlite_schema.hpp"
#include "persistence/sqlite/sqlite_wal_coalescing.hpp"
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

// The text to_decimal_string() gives for an amount, written into `buffer` instead of a string
// on the heap: the hot path binds three of them per entry, without a copy, so the buffer must
// outlive the statement's step.
std::string_view encode_decimal(minor_units value, decimal_buffer& buffer) {
  char* end = buffer.bytes + sizeof(buffer.bytes);
  char* digit = end;
  // Unsigned negation: the magnitude of minor_units_min too.
  auto magnitude = static_cast<minor_units_magnitude>(value);
  if (value < 0)
    magnitude = -magnitude;
  if (magnitude <= std::numeric_limits<uint64_t>::max()) {
    auto small = static_cast<uint64_t>(magnitude);  // 64-bit division: several times cheaper
    do {
      *--digit = static_cast<char>('0' + small % 10);
      small /= 10;
    } while (small != 0);
  } else {
    do {
      *--digit = static_cast<char>('0' + static_cast<int>(magnitude % 10));
      magnitude /= 10;
    } while (magnitude != 0);
  }
  if (value < 0)
    *--digit = '-';
  return std::string_view(digit, static_cast<size_t>(end - digit));
}

constexpr const char* insert_entries_into =
  "INSERT INTO entries (account, seq, kind, bucket, amount, available_after, held_after, cause_kind, cause_id,"
  " counterparty_account, counterparty_bucket, hold_id, ts_us)";
constexpr size_t entry_columns = 13;
constexpr const char* insert_records_into = "INSERT INTO idempotency (key, request_hash, response, created_us)";
constexpr size_t record_columns = 4;

// Called by SQLite on the writer thread after each commit with the pages now in the log.
int on_wal_commit(void* merger, sqlite3*, const char*, int wal_pages) {
  static_cast<sqlite_index_merger*>(merger)->on_wal_grown(wal_pages);
  return SQLITE_OK;
}

// The synchronous modes that sync the log at every commit, before other connections can see
// it: only these may gather a commit's log writes in memory until that sync.
bool syncs_every_commit(sqlite_synchronous mode) {
  return mode == sqlite_synchronous::full || mode == sqlite_synchronous::extra;
}

sqlite_connection open_for_writing(const std::string& path, const sqlite_options& options) {
  sqlite_connection connection(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                               syncs_every_commit(options.synchronous) ? sqlite_wal_coalescing_vfs() : nullptr);
  sqlite3_busy_timeout(connection.get(), static_cast<int>(options.busy_timeout_ms));
  switch_to_wal(connection);
  connection.execute(pragma_synchronous(options.synchronous).c_str(), "set synchronous");
  // With a background merger, its thread checkpoints (see on_wal_commit), not the appends.
  auto tuning = "PRAGMA cache_size = -" + std::to_string(options.writer_cache_kib) + "; PRAGMA wal_autocheckpoint = "
                + std::to_string(options.index_merge_background ? 0 : options.wal_autocheckpoint_pages);
  connection.execute(tuning.c_str(), "set the cache size and checkpoint interval");
  migrate_sqlite_schema(connection);
  return connection;
}

// After the log is up to date: the index file names the log it indexes by the log's id.
sqlite_connection open_index_for_writer(const std::string& path, const sqlite_options& options,
                                        sqlite_connection& log) {
  prepare_sqlite_index_file(path, log, options.busy_timeout_ms);
  sqlite_connection connection(sqlite_index_path(path), SQLITE_OPEN_READWRITE);
  sqlite3_busy_timeout(connection.get(), static_cast<int>(options.busy_timeout_ms));
  return connection;
}

} // namespace

sqlite_journal_writer::sqlite_journal_writer(const std::string& path, const sqlite_options& options,
                                             sqlite_journal_tail& tail)
  : index_merge_rows_(options.index_merge_rows),
    unmerged_rows_max_(std::max(options.unmerged_rows_max, options.index_merge_rows)),
    key_filter_keys_(options.idempotency_filter_keys),
    key_filter_keys_max_(options.idempotency_filter_keys_max),
    connection_(open_for_writing(path, options)),
    index_connection_(open_index_for_writer(path, options, connection_)),
    tail_(tail),
    begin_(connection_.get(), "BEGIN IMMEDIATE"),
    commit_(connection_.get(), "COMMIT"),
    // Both are the last row of a rowid table: one step down the right edge of each B-tree.
    log_ends_(connection_.get(), "SELECT (SELECT coalesce(max(pos), 0) FROM entries),"
                                 " (SELECT coalesce(max(pos), 0) FROM idempotency)"),
    // On the index file, outside the append's transaction: an account the tail does not know
    // has all its entries merged, and a key in the index is committed in the log.
    indexed_last_seq_(index_connection_.get(), "SELECT max(seq) FROM entry_index WHERE account = ?1"),
    indexed_key_(index_connection_.get(),
                 "SELECT 1 FROM idempotency_index WHERE " + sqlite_live_runs_condition() + " AND key = ?1"),
    key_at_(connection_.get(), "SELECT key FROM idempotency WHERE pos = ?1"),
    insert_entry_(connection_.get(), sqlite_multi_row_insert(insert_entries_into, entry_columns, 1)),
    insert_entries_(connection_.get(),
                    sqlite_multi_row_insert(insert_entries_into, entry_columns, sqlite_rows_per_insert)),
    insert_record_(connection_.get(), sqlite_multi_row_insert(insert_records_into, record_columns, 1)),
    insert_records_(connection_.get(),
                    sqlite_multi_row_insert(insert_records_into, record_columns, sqlite_rows_per_insert)),
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
    sagas_(connection_.get()) {
  load_tail();
  // Room for the rows of a first merge (up to a million), untouched (so not resident) until used.
  auto first_merge_rows = std::min<size_t>(index_merge_rows_, 1'000'000);
  unmerged_rows_.entries.reserve(first_merge_rows);
  unmerged_rows_.keys.reserve(first_merge_rows);
  // After the schema is up to date: the merger's connection expects it.
  merger_ = std::make_unique<sqlite_index_merger>(path, options);
  if (merger_->background())
    sqlite3_wal_hook(connection_.get(), on_wal_commit, merger_.get());
}

sqlite_journal_writer::~sqlite_journal_writer() {
  if (merger_ && merger_->background())
    sqlite3_wal_hook(connection_.get(), nullptr, nullptr);
}

// What a crash between a batch's commit and the next merge leaves: rows past the merged
// positions (some of them maybe indexed by chunks of a merge the crash cut short), or, after
// the index file was rebuilt, every row of the log. Read, not merged, so opening needs no
// write (and no write lock). The merged positions are read first, then the log in one read
// transaction (tail and log ends describe the same moment): a merge by another process in
// between only leaves rows in both index and tail, which readers cope with.
void sqlite_journal_writer::load_tail() {
  sqlite_statement entries(connection_.get(), "SELECT account, seq, pos FROM entries WHERE pos > ?1 ORDER BY pos");
  sqlite_statement keys(connection_.get(), "SELECT key, pos FROM idempotency WHERE pos > ?1 ORDER BY pos");
  merged_known_ = read_merged_positions(index_connection_);
  written_rows rows;
  connection_.execute("BEGIN", "begin reading the unmerged tail");
  try {
    entries.bind(1, merged_known_.entries);
    for (sqlite_statement_use use(entries); use->step();) {
      auto account = use->column_text(0);
      auto* state = tail_.writer_find_account(account);
      if (state == nullptr)
        state = tail_.add_account(account, 0);
      rows.entries.push_back({state, static_cast<uint64_t>(use->column_int64(1)), use->column_int64(2)});
      unmerged_rows_.add_entry(state->id, rows.entries.back().seq, rows.entries.back().pos);
    }
    keys.bind(1, merged_known_.idempotency);
    for (sqlite_statement_use use(keys); use->step();) {
      auto key = use->column_text(0);
      rows.keys.push_back({key_filter::hash_of(key), use->column_int64(1)});
      unmerged_rows_.add_key(key, rows.keys.back().pos);
    }
    {
      sqlite_statement_use use(log_ends_);
      use->step();
      log_ends_known_ = {use->column_int64(0), use->column_int64(1)};
    }
    connection_.execute("COMMIT", "end reading the unmerged tail");
  } catch (...) {
    connection_.rollback();
    throw;
  }
  if (merged_known_.entries > log_ends_known_.entries || merged_known_.idempotency > log_ends_known_.idempotency)
    throw journal_error("sqlite: corrupt index_meta: the indexes reach past the end of the log");
  // Sized for the unmerged keys too, so the next merge need not grow it. Read after the merged
  // positions, so it holds at least every key they cover.
  std::unique_ptr<key_filter> merged_keys;
  if (key_filter_keys_ > 0) {
    key_filter_capacity_ = key_filter_capacity_for(static_cast<size_t>(log_ends_known_.idempotency));
    merged_keys = read_merged_key_filter(index_connection_, key_filter_capacity_);
  }
  tail_.add(rows.entries, rows.keys, log_ends_known_.entries);
  tail_.set_merged_key_filter(std::move(merged_keys));
}

void sqlite_journal_writer::append(const append_batch& batch) {
  if (batch.empty())
    return;
  take_finished_merge(merger_->finished());
  if (merger_->take_checkpointed())
    finish_checkpoint();
  // A background merge that falls behind holds the tail's memory: past the bound, wait for it.
  if (tail_.entry_count() + tail_.key_count() >= unmerged_rows_max_ && merger_->running())
    take_finished_merge(merger_->wait());
  ++batch_mark_;
  try {
    begin_.run();
    write(batch);
    commit_.run();
  } catch (...) {
    connection_.rollback();
    throw;
  }
  // Only a committed batch reaches the tail; a failed one leaves at most the heads it read.
  publish(batch);
  merge_if_due();
}

void sqlite_journal_writer::finish_index_merge() {
  take_finished_merge(merger_->settle());
}

// Every check comes before the first insert: a batch that contradicts itself or the journal
// writes nothing.
void sqlite_journal_writer::write(const append_batch& batch) {
  check_log_ends();
  rows_.entries.clear();
  rows_.keys.clear();
  check_entries(batch.entries);
  check_keys(batch.idempotency_records);
  sagas_.check(batch.saga_records);
  insert_entries(batch.entries);
  insert_records(batch.idempotency_records);
  for (const auto& snapshot : batch.snapshots)
    upsert_snapshot(snapshot);
  // Opened before closed: a transfer whose two legs share a batch leaves no in-flight row.
  for (const auto& leg : batch.opened_legs)
    insert_leg(leg);
  for (const auto& transfer_id : batch.closed_transfer_ids) {
    delete_leg_.bind(1, transfer_id);
    delete_leg_.run();
  }
  sagas_.write();
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

// Density, in one pass and one lookup per entry: an account's first entry in the batch must
// follow what is stored, each further one the entry before it. A warm account costs no read;
// the merged index's primary key refuses a duplicate if this were ever bypassed.
void sqlite_journal_writer::check_entries(const std::vector<journal_entry>& entries) {
  rows_.entries.reserve(entries.size());
  for (const auto& entry : entries) {
    if (entry.account.empty())
      throw journal_error("append: an entry has no account");
    if (entry.seq == 0 || entry.seq > seq_stored_max)
      throw journal_conflict("append: " + entry.account + " seq " + std::to_string(entry.seq) + " is out of range");
    auto& state = account_of(entry.account);
    if (state.batch_mark != batch_mark_) {
      state.batch_mark = batch_mark_;
      if (entry.seq != state.head + 1)
        throw journal_conflict("append: " + entry.account + " batch starts at seq " + std::to_string(entry.seq)
                               + " but the journal ends at seq " + std::to_string(state.head)
                               + (entry.seq <= state.head ? " (duplicate)" : " (gap)"));
    } else if (entry.seq != state.batch_last_seq + 1) {
      throw journal_conflict("append: " + entry.account + " seq " + std::to_string(entry.seq) + " follows seq "
                             + std::to_string(state.batch_last_seq) + " in the same batch");
    }
    state.batch_last_seq = entry.seq;
    rows_.entries.push_back({&state, entry.seq, 0});
  }
}

// The account's state in the tail: known for every account seen since open (unless the tail
// dropped its heads); otherwise every entry of the account is merged, so the index knows.
sqlite_journal_tail::account_state& sqlite_journal_writer::account_of(const std::string& account) {
  if (auto* state = tail_.writer_find_account(account))
    return *state;
  uint64_t head = 0;
  {
    sqlite_statement_use query(indexed_last_seq_);
    query->bind(1, account);
    if (query->step() && !query->column_is_null(0))
      head = static_cast<uint64_t>(query->column_int64(0));
  }
  return *tail_.add_account(account, head);
}

// Unique keys, each hashed once: in the batch (sorted hashes), then in the tail (candidate
// positions, compared with the stored key), then through the filter in the index.
void sqlite_journal_writer::check_keys(const std::vector<idempotency_record>& records) {
  key_hashes_.clear();
  rows_.keys.reserve(records.size());
  for (size_t index = 0; index < records.size(); ++index) {
    auto key_hash = key_filter::hash_of(records[index].key);
    rows_.keys.push_back({key_hash, 0});
    key_hashes_.emplace_back(key_hash, index);
  }
  std::sort(key_hashes_.begin(), key_hashes_.end());
  for (size_t index = 1; index < key_hashes_.size(); ++index) {
    const auto& earlier = key_hashes_[index - 1];
    const auto& later = key_hashes_[index];
    if (earlier.first == later.first && records[earlier.second].key == records[later.second].key)
      throw journal_conflict("append: idempotency key " + records[later.second].key + " appears twice in the batch");
  }
  const auto* merged_keys = tail_.writer_merged_key_filter();
  for (size_t index = 0; index < records.size(); ++index) {
    const auto& key = records[index].key;
    auto key_hash = rows_.keys[index].key_hash;
    key_candidates_.clear();
    tail_.writer_find_key(key_hash, key_candidates_);
    bool stored = std::any_of(key_candidates_.begin(), key_candidates_.end(),
                              [&](int64_t pos) { return key_stored_at(key, pos); });
    if (!stored && (merged_keys == nullptr || merged_keys->may_contain_hash(key_hash))) {
      sqlite_statement_use query(indexed_key_);
      query->bind(1, key);
      stored = query->step();
    }
    if (stored)
      throw journal_conflict("append: idempotency key " + key + " is already stored");
  }
}

// Whether the unmerged record at `pos` has this key (and not just its hash).
bool sqlite_journal_writer::key_stored_at(const std::string& key, int64_t pos) {
  sqlite_statement_use query(key_at_);
  query->bind(1, pos);
  if (!query->step())
    throw journal_error("sqlite: corrupt idempotency: no row at pos " + std::to_string(pos)
                        + ", which the unmerged tail names");
  return query->column_text(0) == key;
}

// Up to sqlite_rows_per_insert rows a statement: one statement start, cursor open and end per
// group instead of per row. Rowids are max + 1 and this writer is the only one appending, so the
// rows land at the positions after the log's end, in order; checked at each statement.
void sqlite_journal_writer::insert_entries(const std::vector<journal_entry>& entries) {
  auto next_pos = log_ends_known_.entries + 1;
  for (size_t first = 0; first < entries.size();) {
    auto count = sqlite_rows_in_next_insert(entries.size() - first);
    auto& insert = count == sqlite_rows_per_insert ? insert_entries_ : insert_entry_;
    for (size_t row = 0; row < count; ++row)
      bind_entry(insert, static_cast<int>(row * entry_columns), entries[first + row], &amounts_[row * 3]);
    insert.run();
    for (size_t row = 0; row < count; ++row)
      rows_.entries[first + row].pos = next_pos++;
    check_landed(next_pos - 1, "entries");
    first += count;
  }
}

void sqlite_journal_writer::insert_records(const std::vector<idempotency_record>& records) {
  auto next_pos = log_ends_known_.idempotency + 1;
  for (size_t first = 0; first < records.size();) {
    auto count = sqlite_rows_in_next_insert(records.size() - first);
    auto& insert = count == sqlite_rows_per_insert ? insert_records_ : insert_record_;
    for (size_t row = 0; row < count; ++row) {
      const auto& record = records[first + row];
      auto column = static_cast<int>(row * record_columns);
      insert.bind(column + 1, record.key);
      insert.bind(column + 2, record.request_hash);
      insert.bind(column + 3, record.response);
      insert.bind(column + 4, record.created_us);
    }
    insert.run();
    for (size_t row = 0; row < count; ++row)
      rows_.keys[first + row].pos = next_pos++;
    check_landed(next_pos - 1, "idempotency");
    first += count;
  }
}

// Binds one entry's columns after parameter `column`; its amounts go into three buffers.
void sqlite_journal_writer::bind_entry(sqlite_statement& insert, int column, const journal_entry& entry,
                                       decimal_buffer* amounts) {
  insert.bind(column + 1, entry.account);
  insert.bind(column + 2, static_cast<int64_t>(entry.seq));
  insert.bind(column + 3, static_cast<int64_t>(entry.kind));
  insert.bind(column + 4, entry.bucket);
  insert.bind(column + 5, encode_decimal(entry.amount, amounts[0]));
  insert.bind(column + 6, encode_decimal(entry.available_after, amounts[1]));
  insert.bind(column + 7, encode_decimal(entry.held_after, amounts[2]));
  insert.bind(column + 8, entry.cause_kind);
  insert.bind(column + 9, entry.cause_id);
  insert.bind(column + 10, entry.counterparty_account);
  insert.bind(column + 11, entry.counterparty_bucket);
  insert.bind(column + 12, entry.hold_id);
  insert.bind(column + 13, entry.timestamp_us);
}

void sqlite_journal_writer::check_landed(int64_t expected_last_pos, const char* table) {
  auto last = sqlite3_last_insert_rowid(connection_.get());
  if (last != expected_last_pos)
    throw journal_error(std::string("append: rows of ") + table + " landed up to pos " + std::to_string(last)
                        + ", not " + std::to_string(expected_last_pos) + " after the log's end");
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
  auto& insert = insert_leg_;
  insert.bind(1, leg.transfer_id);
  insert.bind(2, leg.from_account);
  insert.bind(3, leg.from_bucket);
  insert.bind(4, static_cast<int64_t>(leg.from_seq));
  insert.bind(5, leg.to_account);
  insert.bind(6, leg.to_bucket);
  insert.bind(7, leg.asset_code);
  insert.bind(8, encode_decimal(leg.amount, amounts_[0]));
  insert.bind(9, leg.idempotency_key);
  insert.bind(10, leg.request_hash);
  insert.bind(11, leg.timestamp_us);
  try {
    insert.run();
  } catch (const journal_conflict& conflict) {
    throw journal_conflict("append: transfer " + leg.transfer_id + " is already in flight: " + conflict.what());
  }
}

void sqlite_journal_writer::publish(const append_batch& batch) {
  if (!rows_.entries.empty())
    log_ends_known_.entries = rows_.entries.back().pos;
  if (!rows_.keys.empty())
    log_ends_known_.idempotency = rows_.keys.back().pos;
  tail_.add(rows_.entries, rows_.keys, log_ends_known_.entries);  // the heads move with the entries
  for (const auto& row : rows_.entries)
    unmerged_rows_.add_entry(row.account->id, row.seq, row.pos);
  for (size_t index = 0; index < rows_.keys.size(); ++index)
    unmerged_rows_.add_key(batch.idempotency_records[index].key, rows_.keys[index].pos);
}

// The merged rows leave the tail only now, after the merge's last commit.
void sqlite_journal_writer::take_finished_merge(std::optional<sqlite_merge_result> result) {
  if (!result)
    return;
  if (result->rebuilt_filter)
    key_filter_capacity_ = requested_filter_capacity_;
  tail_.forget_merged(result->up_to.entries, result->up_to.idempotency, std::move(result->rebuilt_filter));
  merged_known_ = result->up_to;
  assert(static_cast<int64_t>(tail_.entry_count()) == log_ends_known_.entries - merged_known_.entries);
  assert(static_cast<int64_t>(tail_.key_count()) == log_ends_known_.idempotency - merged_known_.idempotency);
}

// Runs right after a commit. In the background the batch that tips the tail over the
// threshold only hands the merge over; otherwise it pays for it (a pause of its ack).
void sqlite_journal_writer::merge_if_due() {
  if (merger_->running())
    return;
  take_finished_merge(merger_->finished());  // one that ended since this append began
  // Positions are dense (rowids are max + 1, and only this writer appends), so the tail holds
  // exactly the rows between the merged position and the end of each log.
  auto entries = static_cast<size_t>(log_ends_known_.entries - merged_known_.entries);
  auto keys = static_cast<size_t>(log_ends_known_.idempotency - merged_known_.idempotency);
  if ((entries == 0 && keys == 0) || (entries < index_merge_rows_ && keys < index_merge_rows_))
    return;
  // At most unmerged_rows_max rows of each log a merge, so the merge that rebuilds an index
  // file from position 0 holds a bounded number of rows in memory; the rest follow.
  auto cap = static_cast<int64_t>(std::min<size_t>(unmerged_rows_max_, std::numeric_limits<int64_t>::max() / 2));
  sqlite_log_positions up_to{std::min(log_ends_known_.entries, merged_known_.entries + cap),
                             std::min(log_ends_known_.idempotency, merged_known_.idempotency + cap)};
  requested_filter_capacity_ = regrown_filter_capacity(static_cast<size_t>(up_to.idempotency));
  merger_->start(merged_known_, up_to, requested_filter_capacity_, unmerged_rows_.take_through(up_to));
  if (!merger_->background())
    take_finished_merge(merger_->finished());
}

// The first capacity, doubled until it holds `keys` or reaches the maximum.
size_t sqlite_journal_writer::key_filter_capacity_for(size_t keys) const {
  size_t capacity = std::min(key_filter_keys_, key_filter_keys_max_);
  while (capacity < keys && capacity < key_filter_keys_max_)
    capacity = std::min(capacity * 2, key_filter_keys_max_);
  return capacity;
}

// The capacity of a filter to read afresh from the index once the merged keys outgrow the
// current one; 0 while they fit (the tail adds the merged keys to the current one instead).
size_t sqlite_journal_writer::regrown_filter_capacity(size_t merged_keys) const {
  if (key_filter_capacity_ == 0 || merged_keys <= key_filter_capacity_ || key_filter_capacity_ >= key_filter_keys_max_)
    return 0;
  return key_filter_capacity_for(merged_keys);
}

// Between two transactions, so no append races it: copies the frames appended since the
// merger's checkpoint (a few batches' worth: a pause of a few milliseconds, one per
// wal_autocheckpoint_pages), so that the next transaction finds the log fully copied and starts
// it over. PASSIVE: a reader still on the log only makes it copy less (the log then restarts at
// a later round), and a failure only leaves the log longer.
void sqlite_journal_writer::finish_checkpoint() noexcept {
  sqlite3_wal_checkpoint_v2(connection_.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
}

} // namespace ledgerflow
