#include "persistence/sqlite/sqlite_index_merger.hpp"

#include <algorithm>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ledgerflow {

namespace {

constexpr const char* entries_merged_name = "entry_index_merged_pos";
constexpr const char* idempotency_merged_name = "idempotency_index_merged_pos";

std::string describe(const sqlite_log_positions& positions) {
  return "entry " + std::to_string(positions.entries) + ", idempotency record "
         + std::to_string(positions.idempotency);
}

sqlite_connection open_for_merging(const std::string& path, const sqlite_options& options) {
  sqlite_connection connection(path, SQLITE_OPEN_READWRITE);
  sqlite3_busy_timeout(connection.get(), static_cast<int>(options.busy_timeout_ms));
  // Derived data: see the header. The appends' FULL commits sync the same log.
  connection.execute("PRAGMA synchronous = NORMAL", "set synchronous for the index merge");
  auto tuning = "PRAGMA cache_size = -" + std::to_string(options.writer_cache_kib) + "; PRAGMA wal_autocheckpoint = "
                + std::to_string(options.index_merge_background ? 0 : options.wal_autocheckpoint_pages);
  connection.execute(tuning.c_str(), "set the merge connection's cache size and checkpoint interval");
  return connection;
}

struct entry_row {
  std::string account;
  uint64_t seq = 0;
  int64_t pos = 0;
};

struct key_row {
  std::string key;
  int64_t pos = 0;
};

// The rows' indexes in (account, seq) order, so a chunk boundary leaves each account's merged
// rows a prefix. The rows come in pos order, in which each account's seqs ascend, so sorting
// the distinct accounts and placing each row after its account's earlier ones (a counting
// sort) is enough: far fewer string comparisons than sorting the rows.
std::vector<uint32_t> in_index_order(const std::vector<entry_row>& rows) {
  std::unordered_map<std::string_view, uint32_t> account_number;
  std::vector<std::string_view> accounts;
  std::vector<uint32_t> number_of_row(rows.size());
  for (size_t index = 0; index < rows.size(); ++index) {
    auto [known, added] = account_number.try_emplace(rows[index].account, static_cast<uint32_t>(accounts.size()));
    if (added)
      accounts.push_back(rows[index].account);
    number_of_row[index] = known->second;
  }
  std::vector<uint32_t> by_name(accounts.size());
  for (size_t number = 0; number < accounts.size(); ++number)
    by_name[number] = static_cast<uint32_t>(number);
  std::sort(by_name.begin(), by_name.end(), [&accounts](uint32_t a, uint32_t b) { return accounts[a] < accounts[b]; });
  // first_slot[number]: where the account's rows start in the result.
  std::vector<uint32_t> rows_of(accounts.size(), 0);
  for (auto number : number_of_row)
    ++rows_of[number];
  std::vector<uint32_t> first_slot(accounts.size());
  uint32_t slot = 0;
  for (auto number : by_name) {
    first_slot[number] = slot;
    slot += rows_of[number];
  }
  std::vector<uint32_t> order(rows.size());
  for (size_t index = 0; index < rows.size(); ++index)
    order[first_slot[number_of_row[index]]++] = static_cast<uint32_t>(index);
  return order;
}

} // namespace

sqlite_log_positions read_merged_positions(sqlite_connection& connection) {
  sqlite_statement read(connection.get(), "SELECT value FROM journal_meta WHERE name = ?1");
  sqlite_log_positions positions;
  for (auto [name, position] : {std::pair{entries_merged_name, &positions.entries},
                                std::pair{idempotency_merged_name, &positions.idempotency}}) {
    sqlite_statement_use use(read);
    use->bind(1, name);
    if (!use->step())
      throw journal_error(std::string("sqlite: corrupt journal_meta: no row ") + name);
    *position = use->column_int64(0);
  }
  return positions;
}

std::unique_ptr<key_filter> read_merged_key_filter(sqlite_connection& connection, size_t capacity_keys) {
  sqlite_statement keys(connection.get(), "SELECT key FROM idempotency_index");
  auto filter = std::make_unique<key_filter>(capacity_keys);
  for (sqlite_statement_use use(keys); use->step();)
    filter->insert(use->column_text(0));
  return filter;
}

void sqlite_write_turn::lock_for_append() {
  std::unique_lock<std::mutex> lock(mutex_);
  ++appends_waiting_;
  released_.wait(lock, [this] { return !taken_; });
  --appends_waiting_;
  taken_ = true;
}

void sqlite_write_turn::lock_for_merge() {
  std::unique_lock<std::mutex> lock(mutex_);
  released_.wait(lock, [this] { return !taken_ && appends_waiting_ == 0; });
  taken_ = true;
}

void sqlite_write_turn::unlock() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    taken_ = false;
  }
  released_.notify_all();
}

sqlite_index_merger::sqlite_index_merger(const std::string& path, const sqlite_options& options,
                                         sqlite_write_turn& turn)
  : background_(options.index_merge_background),
    chunk_rows_(std::max<size_t>(options.index_merge_chunk_rows, 1)),
    checkpoint_pages_(static_cast<int>(options.wal_autocheckpoint_pages)),
    turn_(turn),
    connection_(open_for_merging(path, options)),
    begin_(connection_.get(), "BEGIN IMMEDIATE"),
    commit_(connection_.get(), "COMMIT"),
    read_entries_(connection_.get(), "SELECT account, seq, pos FROM entries WHERE pos > ?1 AND pos <= ?2 ORDER BY pos"),
    read_keys_(connection_.get(), "SELECT key, pos FROM idempotency WHERE pos > ?1 AND pos <= ?2 ORDER BY pos"),
    insert_entry_(connection_.get(),
                  "INSERT INTO entry_index (account, seq, pos) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING"),
    indexed_entry_pos_(connection_.get(), "SELECT pos FROM entry_index WHERE account = ?1 AND seq = ?2"),
    insert_key_(connection_.get(), "INSERT INTO idempotency_index (key, pos) VALUES (?1, ?2) ON CONFLICT DO NOTHING"),
    indexed_key_pos_(connection_.get(), "SELECT pos FROM idempotency_index WHERE key = ?1"),
    write_merged_(connection_.get(), "UPDATE journal_meta SET value = ?2 WHERE name = ?1") {
  if (background_)
    thread_ = std::thread([this] { run(); });
}

sqlite_index_merger::~sqlite_index_merger() {
  if (!thread_.joinable())
    return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void sqlite_index_merger::start(const sqlite_log_positions& from, const sqlite_log_positions& up_to,
                                size_t filter_capacity_keys) {
  job work{from, up_to, filter_capacity_keys};
  if (!background_) {
    try {
      finished_ = merge(work);
    } catch (...) {
      failure_ = std::current_exception();
    }
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pending_ = work;
    running_ = true;
  }
  changed_.notify_all();
}

bool sqlite_index_merger::running() {
  std::lock_guard<std::mutex> lock(mutex_);
  return running_;
}

std::optional<sqlite_merge_result> sqlite_index_merger::finished() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (failure_)
    std::rethrow_exception(failure_);  // stays: every later call fails too
  auto result = std::move(finished_);
  finished_.reset();
  return result;
}

std::optional<sqlite_merge_result> sqlite_index_merger::wait() {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [this] { return !running_; });
  }
  return finished();
}

void sqlite_index_merger::on_wal_grown(int wal_pages) {
  if (!background_ || wal_pages < checkpoint_pages_ || checkpoint_pages_ <= 0)
    return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (checkpoint_due_)
      return;
    checkpoint_due_ = true;
  }
  changed_.notify_all();
}

void sqlite_index_merger::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    changed_.wait(lock, [this] { return stopping_ || pending_ || checkpoint_due_; });
    if (pending_) {
      auto work = *pending_;
      pending_.reset();
      lock.unlock();
      std::optional<sqlite_merge_result> result;
      std::exception_ptr failure;
      try {
        result = merge(work);
      } catch (...) {
        failure = std::current_exception();
      }
      lock.lock();
      finished_ = std::move(result);
      failure_ = failure;
      running_ = false;
      changed_.notify_all();
      continue;
    }
    if (checkpoint_due_) {
      checkpoint_due_ = false;
      lock.unlock();
      checkpoint();
      lock.lock();
      continue;
    }
    if (stopping_)
      return;
  }
}

// PASSIVE: copies what it can without waiting for anyone, so appends go on meanwhile. A
// failure is not fatal: the log only grows until a later checkpoint gets through.
void sqlite_index_merger::checkpoint() noexcept {
  sqlite3_wal_checkpoint_v2(connection_.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
}

sqlite_merge_result sqlite_index_merger::merge(const job& work) {
  try {
    bool first_chunk = true;
    bool has_keys = work.up_to.idempotency > work.from.idempotency;
    merge_entries(work, first_chunk, has_keys);
    if (has_keys || first_chunk)
      merge_keys(work, first_chunk);
    sqlite_merge_result result{work.up_to, nullptr};
    if (work.filter_capacity_keys > 0) {
      try {
        result.rebuilt_filter = read_merged_key_filter(connection_, work.filter_capacity_keys);
      } catch (const journal_error&) {
        // The merge has committed; the filter only saves reads. The current one takes the keys,
        // over-full for a while (more false positives), and the next merge tries again.
      }
    }
    return result;
  } catch (const journal_error& failure) {
    throw journal_error(std::string("sqlite: index merge failed: ") + failure.what());
  }
}

// The file decides which rows are unmerged, read outside any write turn and sorted here.
void sqlite_index_merger::merge_entries(const job& work, bool& first_chunk, bool has_keys) {
  std::vector<entry_row> rows;
  rows.reserve(static_cast<size_t>(std::max<int64_t>(work.up_to.entries - work.from.entries, 0)));
  {
    sqlite_statement_use use(read_entries_);
    use->bind(1, work.from.entries);
    use->bind(2, work.up_to.entries);
    while (use->step())
      rows.push_back({std::string(use->column_text(0)), static_cast<uint64_t>(use->column_int64(1)),
                      use->column_int64(2)});
  }
  if (static_cast<int64_t>(rows.size()) != work.up_to.entries - work.from.entries)
    throw journal_error("the entries log has " + std::to_string(rows.size()) + " rows after pos "
                        + std::to_string(work.from.entries) + " up to " + std::to_string(work.up_to.entries));
  auto order = in_index_order(rows);
  for (size_t first = 0; first < order.size(); first += chunk_rows_) {
    auto last = std::min(order.size(), first + chunk_rows_);
    begin_chunk(work, first_chunk);
    try {
      for (size_t index = first; index < last; ++index) {
        const auto& row = rows[order[index]];
        insert_entry(row.account, row.seq, row.pos);
      }
    } catch (...) {
      rollback();
      throw;
    }
    end_chunk(work, last == rows.size() && !has_keys);
  }
}

void sqlite_index_merger::merge_keys(const job& work, bool& first_chunk) {
  std::vector<key_row> rows;
  rows.reserve(static_cast<size_t>(std::max<int64_t>(work.up_to.idempotency - work.from.idempotency, 0)));
  {
    sqlite_statement_use use(read_keys_);
    use->bind(1, work.from.idempotency);
    use->bind(2, work.up_to.idempotency);
    while (use->step())
      rows.push_back({std::string(use->column_text(0)), use->column_int64(1)});
  }
  if (static_cast<int64_t>(rows.size()) != work.up_to.idempotency - work.from.idempotency)
    throw journal_error("the idempotency log has " + std::to_string(rows.size()) + " rows after pos "
                        + std::to_string(work.from.idempotency) + " up to "
                        + std::to_string(work.up_to.idempotency));
  std::vector<uint32_t> order(rows.size());
  for (size_t index = 0; index < rows.size(); ++index)
    order[index] = static_cast<uint32_t>(index);
  std::sort(order.begin(), order.end(), [&rows](uint32_t a, uint32_t b) { return rows[a].key < rows[b].key; });
  // At least one chunk: the last one records how far the indexes reach.
  size_t first = 0;
  do {
    auto last = std::min(order.size(), first + chunk_rows_);
    begin_chunk(work, first_chunk);
    try {
      for (size_t index = first; index < last; ++index)
        insert_key(rows[order[index]].key, rows[order[index]].pos);
    } catch (...) {
      rollback();
      throw;
    }
    end_chunk(work, last == rows.size());
    first = last;
  } while (first < rows.size());
}

void sqlite_index_merger::begin_chunk(const job& work, bool& first_chunk) {
  turn_.lock_for_merge();
  try {
    begin_.run();
    if (first_chunk) {
      // A tail that disagrees with the file about what is unmerged is not merged.
      if (auto stored = read_merged_positions(connection_); stored != work.from)
        throw journal_error("journal_meta says the indexes reach " + describe(stored)
                            + ", but the unmerged tail starts after " + describe(work.from));
      first_chunk = false;
    }
  } catch (...) {
    rollback();
    throw;
  }
}

// The last chunk moves journal_meta in its own transaction: until then a reopened journal
// loads every row of this merge into its tail, indexed or not.
void sqlite_index_merger::end_chunk(const job& work, bool last) {
  try {
    if (last)
      record_merged(work.up_to);
    commit_.run();
  } catch (...) {
    rollback();
    throw;
  }
  turn_.unlock();
}

// A row already indexed at the same pos was merged by a chunk that committed before a crash.
void sqlite_index_merger::insert_entry(const std::string& account, uint64_t seq, int64_t pos) {
  insert_entry_.bind(1, account);
  insert_entry_.bind(2, static_cast<int64_t>(seq));
  insert_entry_.bind(3, pos);
  insert_entry_.run();
  if (sqlite3_changes(connection_.get()) == 1)
    return;
  sqlite_statement_use use(indexed_entry_pos_);
  use->bind(1, account);
  use->bind(2, static_cast<int64_t>(seq));
  if (!use->step() || use->column_int64(0) != pos)
    throw journal_error("duplicate entry: " + account + " seq " + std::to_string(seq) + " is at pos "
                        + std::to_string(pos) + " and already indexed elsewhere");
}

void sqlite_index_merger::insert_key(const std::string& key, int64_t pos) {
  insert_key_.bind(1, key);
  insert_key_.bind(2, pos);
  insert_key_.run();
  if (sqlite3_changes(connection_.get()) == 1)
    return;
  sqlite_statement_use use(indexed_key_pos_);
  use->bind(1, key);
  if (!use->step() || use->column_int64(0) != pos)
    throw journal_error("duplicate idempotency key " + key + " at pos " + std::to_string(pos));
}

void sqlite_index_merger::record_merged(const sqlite_log_positions& up_to) {
  for (auto [name, position] : {std::pair{entries_merged_name, up_to.entries},
                                std::pair{idempotency_merged_name, up_to.idempotency}}) {
    write_merged_.bind(1, name);
    write_merged_.bind(2, position);
    write_merged_.run();
  }
}

void sqlite_index_merger::rollback() noexcept {
  if (sqlite3_get_autocommit(connection_.get()) == 0)
    sqlite3_exec(connection_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  turn_.unlock();
}

} // namespace ledgerflow
