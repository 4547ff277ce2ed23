#include "persistence/sqlite/sqlite_index_merger.hpp"

#include <algorithm>
#include <atomic>
#include <ctime>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <pthread.h>

namespace ledgerflow {

namespace {

constexpr const char* entries_merged_name = sqlite_entries_merged_name;
constexpr const char* idempotency_merged_name = sqlite_idempotency_merged_name;

std::atomic<uint64_t> total_rows{0};
std::atomic<uint64_t> total_merge_cpu_ns{0};
std::atomic<uint64_t> total_checkpoint_cpu_ns{0};
std::atomic<uint64_t> total_key_upkeep_cpu_ns{0};
std::atomic<uint64_t> total_index_pages_written{0};

uint64_t thread_cpu_ns() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(now.tv_nsec);
}

std::string describe(const sqlite_log_positions& positions) {
  return "entry " + std::to_string(positions.entries) + ", idempotency record "
         + std::to_string(positions.idempotency);
}

constexpr int index_checkpoint_pages = 1'000;

// The index file, which only this connection writes: it checkpoints its own WAL as it commits,
// every 1,000 pages (SQLite's default). Measured (bench journal): at wal_autocheckpoint_pages
// (16 Ki) each checkpoint wrote and synced ~64 MB at once, and the log's fsyncs waited behind
// it (append p99 30-37 ms instead of ~15 ms).
sqlite_connection open_for_merging(const std::string& log_path, const sqlite_options& options) {
  sqlite_connection connection(sqlite_index_path(log_path), SQLITE_OPEN_READWRITE);
  sqlite3_busy_timeout(connection.get(), static_cast<int>(options.busy_timeout_ms));
  // Derived data: see the header.
  connection.execute("PRAGMA synchronous = NORMAL", "set synchronous for the index merge");
  auto tuning = "PRAGMA cache_size = -" + std::to_string(options.writer_cache_kib)
                + "; PRAGMA wal_autocheckpoint = " + std::to_string(index_checkpoint_pages);
  connection.execute(tuning.c_str(), "set the merge connection's cache size and checkpoint interval");
  return connection;
}

// The log, opened read-write only so that the merger can checkpoint its WAL for the appends
// (it writes no row).
sqlite_connection open_log_for_merging(const std::string& log_path, const sqlite_options& options) {
  sqlite_connection connection(log_path, SQLITE_OPEN_READWRITE);
  sqlite3_busy_timeout(connection.get(), static_cast<int>(options.busy_timeout_ms));
  connection.execute("PRAGMA wal_autocheckpoint = 0", "set the merger's log connection checkpoint interval");
  // A connection checkpoints only once it has read the file and so found its WAL; until then
  // sqlite3_wal_checkpoint_v2 does nothing, and says so only through its frame counts (-1).
  connection.execute("SELECT count(*) FROM sqlite_schema", "open the log's WAL for checkpoints");
  return connection;
}

// "INSERT INTO entry_index ... ON CONFLICT DO NOTHING" of `rows` rows: a row a crash left
// indexed is skipped, then confirmed (insert_entries).
std::string entry_index_insert(size_t rows) {
  return sqlite_multi_row_insert("INSERT INTO entry_index (account, seq, pos)", 3, rows) + " ON CONFLICT DO NOTHING";
}

// A piece of a text buffer, by offset: the buffer may move while it grows.
struct text_span {
  size_t offset = 0;
  size_t size = 0;
};

std::string_view view_of(const std::string& text, const text_span& span) {
  return std::string_view(text).substr(span.offset, span.size);
}

text_span append_text(std::string& text, std::string_view piece) {
  text_span span{text.size(), piece.size()};
  text.append(piece);
  return span;
}

// The first eight bytes of `key` past `skip`, big-endian, zero-padded: comparing two of these
// as integers orders the keys as comparing their bytes would, except where they tie.
uint64_t order_prefix(std::string_view key, size_t skip) {
  uint64_t prefix = 0;
  for (size_t index = skip; index < skip + sizeof(prefix); ++index)
    prefix = (prefix << 8) | (index < key.size() ? static_cast<unsigned char>(key[index]) : 0u);
  return prefix;
}

} // namespace

// The entry rows of one merge. Each distinct account's text is kept once, in one buffer, and
// a row refers to it by number: a merge of 800k rows over 10k accounts copies 10k strings, and
// the rows stay small enough to sort and walk without a cache miss each.
struct sqlite_index_merger::entry_rows {
  struct row {
    uint32_t account = 0;
    uint64_t seq = 0;
    int64_t pos = 0;
  };
  std::string account_text;
  std::vector<text_span> accounts;  // by number, in order of first appearance
  std::vector<row> rows;            // in pos order as appended, then in index order

  std::string_view account(uint32_t number) const { return view_of(account_text, accounts[number]); }
};

// The idempotency keys of one merge, back to back in one buffer.
struct sqlite_index_merger::key_rows {
  struct row {
    uint64_t order_prefix = 0;  // see order_prefix()
    text_span key;
    int64_t pos = 0;
  };
  std::string key_text;
  std::vector<row> rows;  // in pos order as appended, then in key order

  std::string_view key(const row& of) const { return view_of(key_text, of.key); }
};

namespace {

using entry_rows = sqlite_index_merger::entry_rows;
using key_rows = sqlite_index_merger::key_rows;

// Numbers the distinct accounts of a merge as they are met: open addressing on the text's
// hash, the text itself in entry_rows.
class account_numbers {
public:
  uint32_t number_of(std::string_view account, entry_rows& rows) {
    if (2 * (rows.accounts.size() + 1) > slots_.size())
      grow(rows);
    auto hash = std::hash<std::string_view>{}(account);
    for (size_t slot = hash & (slots_.size() - 1);; slot = (slot + 1) & (slots_.size() - 1)) {
      if (slots_[slot] == 0) {
        auto number = static_cast<uint32_t>(rows.accounts.size());
        rows.accounts.push_back(append_text(rows.account_text, account));
        hashes_.push_back(hash);
        slots_[slot] = number + 1;
        return number;
      }
      auto number = slots_[slot] - 1;
      if (hashes_[number] == hash && rows.account(number) == account)
        return number;
    }
  }

private:
  void grow(const entry_rows& rows) {
    slots_.assign(std::max<size_t>(slots_.size() * 2, 1024), 0);
    for (uint32_t number = 0; number < rows.accounts.size(); ++number) {
      auto slot = hashes_[number] & (slots_.size() - 1);
      while (slots_[slot] != 0)
        slot = (slot + 1) & (slots_.size() - 1);
      slots_[slot] = number + 1;
    }
  }

  std::vector<uint32_t> slots_;   // account number + 1; 0 is free. A power of two, at most half full
  std::vector<uint64_t> hashes_;  // by account number
};

// Puts the rows in (account, seq) order, so a chunk boundary leaves each account's merged rows
// a prefix. The rows come in pos order, in which each account's seqs ascend, so sorting the
// distinct accounts and placing each row after its account's earlier ones (a counting sort) is
// enough: far fewer string comparisons than sorting the rows.
void sort_in_index_order(entry_rows& rows) {
  auto accounts = rows.accounts.size();
  std::vector<uint32_t> by_name(accounts);
  for (size_t number = 0; number < accounts; ++number)
    by_name[number] = static_cast<uint32_t>(number);
  std::sort(by_name.begin(), by_name.end(),
            [&rows](uint32_t a, uint32_t b) { return rows.account(a) < rows.account(b); });
  // first_slot[number]: where the account's rows start in the result.
  std::vector<uint32_t> first_slot(accounts, 0);
  for (const auto& row : rows.rows)
    ++first_slot[row.account];
  uint32_t slot = 0;
  for (auto number : by_name)
    slot += std::exchange(first_slot[number], slot);
  std::vector<entry_rows::row> sorted(rows.rows.size());
  for (const auto& row : rows.rows)
    sorted[first_slot[row.account]++] = row;
  rows.rows = std::move(sorted);
}

// Sorts the keys as the index orders them (bytewise). The integer prefixes settle almost every
// comparison without touching the text; they start past the bytes all the keys share, since
// keys of one client often differ only in their last characters.
void sort_in_index_order(key_rows& rows) {
  if (rows.rows.empty())
    return;
  auto first = rows.key(rows.rows.front());
  size_t shared = first.size();
  for (const auto& row : rows.rows) {
    auto key = rows.key(row);
    size_t same = 0;
    while (same < shared && same < key.size() && key[same] == first[same])
      ++same;
    shared = same;
  }
  for (auto& row : rows.rows)
    row.order_prefix = order_prefix(rows.key(row), shared);
  std::sort(rows.rows.begin(), rows.rows.end(), [&rows](const key_rows::row& a, const key_rows::row& b) {
    if (a.order_prefix != b.order_prefix)
      return a.order_prefix < b.order_prefix;
    return rows.key(a) < rows.key(b);
  });
}

// The rows must be exactly the log's after `from` up to `up_to`: the writer's record of what it
// appended. Anything else means that record and the log disagree, and the merge stops.
template <class Rows>
void check_covers(const char* log, const Rows& rows, int64_t from, int64_t up_to) {
  bool covered = rows.empty() ? from == up_to
                              : static_cast<int64_t>(rows.size()) == up_to - from && rows.front().pos == from + 1
                                  && rows.back().pos == up_to;
  if (!covered)
    throw journal_error(std::string("the unmerged rows of the ") + log + " log (" + std::to_string(rows.size())
                        + ") are not its rows after pos " + std::to_string(from) + " up to " + std::to_string(up_to));
}

// Each takes its part of `appended` and releases it: the copy is all the merge needs.
entry_rows entry_rows_of(const sqlite_log_positions& from, const sqlite_log_positions& up_to,
                         sqlite_unmerged_rows& appended) {
  check_covers("entries", appended.entries, from.entries, up_to.entries);
  entry_rows rows;
  rows.rows.reserve(appended.entries.size());
  account_numbers numbers;
  for (const auto& row : appended.entries)
    rows.rows.push_back({numbers.number_of(*row.account, rows), row.seq, row.pos});
  appended.entries = {};
  return rows;
}

key_rows key_rows_of(const sqlite_log_positions& from, const sqlite_log_positions& up_to,
                     sqlite_unmerged_rows& appended) {
  check_covers("idempotency", appended.keys, from.idempotency, up_to.idempotency);
  key_rows rows;
  rows.key_text = std::move(appended.key_text);
  rows.rows.reserve(appended.keys.size());
  for (const auto& key : appended.keys)
    rows.rows.push_back({0, text_span{key.offset, key.size}, key.pos});
  appended.keys = {};
  return rows;
}

} // namespace

sqlite_merge_totals read_sqlite_merge_totals() {
  return {total_rows.load(std::memory_order_relaxed), total_merge_cpu_ns.load(std::memory_order_relaxed),
          total_key_upkeep_cpu_ns.load(std::memory_order_relaxed),
          total_checkpoint_cpu_ns.load(std::memory_order_relaxed),
          total_index_pages_written.load(std::memory_order_relaxed)};
}

std::unique_ptr<key_filter> read_merged_key_filter(sqlite_connection& connection, size_t capacity_keys) {
  auto sql = "SELECT key FROM idempotency_index WHERE " + sqlite_live_runs_condition();
  sqlite_statement keys(connection.get(), sql);
  auto filter = std::make_unique<key_filter>(capacity_keys);
  for (sqlite_statement_use use(keys); use->step();)
    filter->insert(use->column_text(0));
  return filter;
}

sqlite_index_merger::sqlite_index_merger(const std::string& log_path, const sqlite_options& options)
  : background_(options.index_merge_background),
    chunk_rows_(std::max<size_t>(options.index_merge_chunk_rows, 1)),
    checkpoint_pages_(static_cast<int>(options.wal_autocheckpoint_pages)),
    log_connection_(open_log_for_merging(log_path, options)),
    connection_(open_for_merging(log_path, options)),
    begin_(connection_.get(), "BEGIN IMMEDIATE"),
    commit_(connection_.get(), "COMMIT"),
    insert_entry_(connection_.get(), entry_index_insert(1)),
    insert_entries_(connection_.get(),
                    entry_index_insert(sqlite_rows_per_insert)),
    indexed_entry_pos_(connection_.get(), "SELECT pos FROM entry_index WHERE account = ?1 AND seq = ?2"),
    write_merged_(connection_.get(), "UPDATE index_meta SET value = ?2 WHERE name = ?1"),
    key_runs_(connection_, options.key_run_fan_in, options.key_run_slice_keys) {
  // Without a thread of its own the upkeep runs after each merge, on the merging thread.
  upkeep_due_ = background_;
  if (background_)
    thread_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "lf.merge");  // for top -H, perf and /proc
      run();
    });
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
                                size_t filter_capacity_keys, sqlite_unmerged_rows rows) {
  job work{from, up_to, filter_capacity_keys, std::move(rows)};
  if (!background_) {
    try {
      finished_ = measured_merge(work);
      while (measured_upkeep_step()) {
      }
    } catch (...) {
      failure_ = std::current_exception();
    }
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pending_ = std::move(work);
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

std::optional<sqlite_merge_result> sqlite_index_merger::settle() {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [this] { return !running_ && (!upkeep_due_ || failure_); });
  }
  return finished();
}

void sqlite_index_merger::on_wal_grown(int wal_pages) {
  if (!background_ || wal_pages < checkpoint_pages_ || checkpoint_pages_ <= 0)
    return;
  // The last checkpoint waits for the writer to finish it (it is about to): another one now
  // would hold the checkpoint lock when it tries.
  if (checkpointed_.load(std::memory_order_acquire))
    return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (checkpoint_due_)
      return;
    checkpoint_due_ = true;
  }
  changed_.notify_all();
}

// Merges first, then checkpoints, then the key runs' upkeep a slice at a time, so neither a
// compaction nor the deletion of replaced runs holds up a merge for long.
void sqlite_index_merger::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    changed_.wait(lock, [this] { return stopping_ || pending_ || checkpoint_due_ || (upkeep_due_ && !failure_); });
    if (pending_) {
      auto work = std::move(*pending_);
      pending_.reset();
      lock.unlock();
      std::optional<sqlite_merge_result> result;
      std::exception_ptr failure;
      try {
        result = measured_merge(work);
      } catch (...) {
        failure = std::current_exception();
      }
      lock.lock();
      finished_ = std::move(result);
      if (failure)
        failure_ = failure;
      running_ = false;
      upkeep_due_ = true;
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
    if (upkeep_due_ && !failure_) {
      lock.unlock();
      bool more = false;
      std::exception_ptr failure;
      try {
        more = measured_upkeep_step();
      } catch (...) {
        failure = std::current_exception();
      }
      lock.lock();
      if (failure)
        failure_ = failure;
      upkeep_due_ = more;
      changed_.notify_all();
    }
  }
}

// PASSIVE: copies what it can without waiting for anyone, so appends go on meanwhile. A
// failure is not fatal: the log only grows until a later checkpoint gets through.
void sqlite_index_merger::checkpoint() noexcept {
  // Asked for before the last one ended: the writer finishes that one first.
  if (checkpointed_.load(std::memory_order_acquire))
    return;
  auto cpu_started = thread_cpu_ns();
  sqlite3_wal_checkpoint_v2(log_connection_.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  auto cpu_ns = thread_cpu_ns() - cpu_started;
  total_checkpoint_cpu_ns.fetch_add(cpu_ns, std::memory_order_relaxed);
  checkpoint_cpu_ns_ += cpu_ns;
  checkpointed_.store(true, std::memory_order_release);
}

// Between two chunks of a merge: a merge takes seconds, and the log would grow by as much
// meanwhile (with checkpoints only between merges it reached 219 MB in 40 s of bench journal;
// with these, ~80 MB at a 64 MB interval).
void sqlite_index_merger::checkpoint_if_due() noexcept {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!checkpoint_due_)
      return;
    checkpoint_due_ = false;
  }
  checkpoint();
}

// This thread's CPU since `cpu_started`, less the checkpoints run meanwhile (between a merge's
// chunks), which count as checkpoints. This merger's own count of those: the process-wide
// total also has other journals' checkpoints.
uint64_t sqlite_index_merger::cpu_ns_less_checkpoints(uint64_t cpu_started, uint64_t checkpoint_cpu_before) const {
  return thread_cpu_ns() - cpu_started - (checkpoint_cpu_ns_ - checkpoint_cpu_before);
}

// Pages the index connection wrote out of its cache (into the index file's WAL) since the last
// call: what a merge costs in writes grows with how many index pages its rows land on.
void sqlite_index_merger::count_pages_written() {
  int written = 0;
  int highwater = 0;
  if (sqlite3_db_status(connection_.get(), SQLITE_DBSTATUS_CACHE_WRITE, &written, &highwater, 1) == SQLITE_OK)
    total_index_pages_written.fetch_add(static_cast<uint64_t>(written), std::memory_order_relaxed);
}

sqlite_merge_result sqlite_index_merger::measured_merge(job& work) {
  auto cpu_started = thread_cpu_ns();
  auto checkpoint_cpu_before = checkpoint_cpu_ns_;
  auto result = merge(work);
  total_merge_cpu_ns.fetch_add(cpu_ns_less_checkpoints(cpu_started, checkpoint_cpu_before), std::memory_order_relaxed);
  count_pages_written();
  auto rows = (work.up_to.entries - work.from.entries) + (work.up_to.idempotency - work.from.idempotency);
  total_rows.fetch_add(static_cast<uint64_t>(rows), std::memory_order_relaxed);
  return result;
}

// Counted as merging: compactions and deletions are the rest of what merging the keys costs.
bool sqlite_index_merger::measured_upkeep_step() {
  auto cpu_started = thread_cpu_ns();
  auto checkpoint_cpu_before = checkpoint_cpu_ns_;
  auto more = key_runs_.step();
  auto cpu_ns = cpu_ns_less_checkpoints(cpu_started, checkpoint_cpu_before);
  count_pages_written();
  total_merge_cpu_ns.fetch_add(cpu_ns, std::memory_order_relaxed);
  total_key_upkeep_cpu_ns.fetch_add(cpu_ns, std::memory_order_relaxed);
  return more;
}

sqlite_merge_result sqlite_index_merger::merge(job& work) {
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

void sqlite_index_merger::merge_entries(job& work, bool& first_chunk, bool has_keys) {
  auto rows = entry_rows_of(work.from, work.up_to, work.rows);
  sort_in_index_order(rows);
  auto total = rows.rows.size();
  for (size_t first = 0; first < total; first += chunk_rows_) {
    auto last = std::min(total, first + chunk_rows_);
    begin_chunk(work, first_chunk);
    try {
      for (size_t next = first; next < last;) {
        auto count = sqlite_rows_in_next_insert(last - next);
        insert_entries(rows, next, count);
        next += count;
      }
    } catch (...) {
      connection_.rollback();
      throw;
    }
    end_chunk(work, last == total && !has_keys);
    checkpoint_if_due();
  }
}

// The keys go into a new run (sqlite_key_runs.hpp), live with the last chunk, which also
// moves index_meta.
void sqlite_index_merger::merge_keys(job& work, bool& first_chunk) {
  auto rows = key_rows_of(work.from, work.up_to, work.rows);
  sort_in_index_order(rows);
  auto total = rows.rows.size();
  int64_t run = 0;
  std::vector<sqlite_key_position> chunk;
  // At least one chunk: the last one records how far the indexes reach.
  size_t first = 0;
  do {
    auto last = std::min(total, first + chunk_rows_);
    begin_chunk(work, first_chunk);
    try {
      chunk.clear();
      for (size_t index = first; index < last; ++index) {
        if (index > 0 && rows.key(rows.rows[index]) == rows.key(rows.rows[index - 1]))
          throw journal_error("duplicate idempotency key " + std::string(rows.key(rows.rows[index])) + " at pos "
                              + std::to_string(rows.rows[index].pos));
        chunk.push_back({rows.key(rows.rows[index]), rows.rows[index].pos});
      }
      if (total > 0 && run == 0)
        run = key_runs_.begin_run(0);
      key_runs_.insert(run, chunk.data(), chunk.size());
      if (last == total && run != 0)
        key_runs_.publish(run, static_cast<int64_t>(total));
    } catch (...) {
      connection_.rollback();
      throw;
    }
    end_chunk(work, last == total);
    checkpoint_if_due();
    first = last;
  } while (first < total);
}

void sqlite_index_merger::begin_chunk(const job& work, bool& first_chunk) {
  try {
    begin_.run();
    if (first_chunk) {
      // A tail that disagrees with the file about what is unmerged is not merged.
      if (auto stored = read_merged_positions(connection_); stored != work.from)
        throw journal_error("index_meta says the indexes reach " + describe(stored)
                            + ", but the unmerged tail starts after " + describe(work.from));
      first_chunk = false;
    }
  } catch (...) {
    connection_.rollback();
    throw;
  }
}

// The last chunk moves index_meta in its own transaction: until then a reopened journal
// loads every row of this merge into its tail, indexed or not.
void sqlite_index_merger::end_chunk(const job& work, bool last) {
  try {
    if (last)
      record_merged(work.up_to);
    commit_.run();
  } catch (...) {
    connection_.rollback();
    throw;
  }
}

// `count` rows from `first` in one statement (`count` is 1 or sqlite_rows_per_insert). A row already
// indexed is skipped by the statement; only when some were, each row of the statement is
// looked up: one indexed at the same pos was merged by a chunk that committed before a crash.
void sqlite_index_merger::insert_entries(const entry_rows& rows, size_t first, size_t count) {
  auto& insert = count == sqlite_rows_per_insert ? insert_entries_ : insert_entry_;
  int parameter = 1;
  for (size_t index = first; index < first + count; ++index) {
    const auto& row = rows.rows[index];
    insert.bind(parameter++, rows.account(row.account));
    insert.bind(parameter++, static_cast<int64_t>(row.seq));
    insert.bind(parameter++, row.pos);
  }
  insert.run();
  if (sqlite3_changes(connection_.get()) == static_cast<int>(count))
    return;
  for (size_t index = first; index < first + count; ++index) {
    const auto& row = rows.rows[index];
    confirm_entry_indexed(rows.account(row.account), row.seq, row.pos);
  }
}

void sqlite_index_merger::confirm_entry_indexed(std::string_view account, uint64_t seq, int64_t pos) {
  sqlite_statement_use use(indexed_entry_pos_);
  use->bind(1, account);
  use->bind(2, static_cast<int64_t>(seq));
  if (!use->step() || use->column_int64(0) != pos)
    throw journal_error("duplicate entry: " + std::string(account) + " seq " + std::to_string(seq) + " is at pos "
                        + std::to_string(pos) + " and already indexed elsewhere");
}

void sqlite_index_merger::record_merged(const sqlite_log_positions& up_to) {
  for (auto [name, position] : {std::pair{entries_merged_name, up_to.entries},
                                std::pair{idempotency_merged_name, up_to.idempotency}}) {
    write_merged_.bind(1, name);
    write_merged_.bind(2, position);
    write_merged_.run();
  }
}

} // namespace ledgerflow
