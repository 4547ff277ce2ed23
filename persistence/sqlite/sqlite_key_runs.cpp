#include "persistence/sqlite/sqlite_key_runs.hpp"

#include <algorithm>
#include <utility>

#include "persistence/journal.hpp"

namespace ledgerflow {

namespace {

std::string run_insert(size_t rows) {
  return sqlite_multi_row_insert("INSERT INTO idempotency_index (run, key, pos)", 3, rows);
}

} // namespace

std::string sqlite_live_runs_condition(std::string_view schema) {
  return "run IN (SELECT run FROM " + std::string(schema) + "key_runs WHERE live = 1)";
}

sqlite_key_runs::sqlite_key_runs(sqlite_connection& connection, size_t fan_in, size_t slice_keys)
  : connection_(connection),
    fan_in_(std::max<size_t>(fan_in, 2)),
    slice_keys_(std::max<size_t>(slice_keys, 1)),
    new_run_(connection.get(), "INSERT INTO key_runs (level, keys, live) VALUES (?1, 0, 0)"),
    insert_one_(connection.get(), run_insert(1)),
    insert_many_(connection.get(), run_insert(sqlite_rows_per_insert)),
    publish_(connection.get(), "UPDATE key_runs SET live = 1, keys = ?2 WHERE run = ?1"),
    retire_(connection.get(), "UPDATE key_runs SET live = 0 WHERE run = ?1"),
    not_live_(connection.get(), "SELECT run FROM key_runs WHERE live = 0 ORDER BY run LIMIT 1"),
    nth_key_(connection.get(), "SELECT key FROM idempotency_index WHERE run = ?1 ORDER BY key LIMIT 1 OFFSET ?2"),
    delete_before_(connection.get(), "DELETE FROM idempotency_index WHERE run = ?1 AND key < ?2"),
    delete_run_rows_(connection.get(), "DELETE FROM idempotency_index WHERE run = ?1"),
    forget_run_(connection.get(), "DELETE FROM key_runs WHERE run = ?1"),
    full_level_(connection.get(), "SELECT level FROM key_runs WHERE live = 1 GROUP BY level HAVING count(*) >= ?1"
                                  " ORDER BY level LIMIT 1"),
    runs_of_level_(connection.get(), "SELECT run FROM key_runs WHERE live = 1 AND level = ?1 ORDER BY run LIMIT ?2"),
    keys_from_start_(connection.get(), "SELECT key, pos FROM idempotency_index WHERE run = ?1 ORDER BY key LIMIT ?2"),
    keys_after_(connection.get(),
                "SELECT key, pos FROM idempotency_index WHERE run = ?1 AND key > ?3 ORDER BY key LIMIT ?2") {}

int64_t sqlite_key_runs::begin_run(int64_t level) {
  new_run_.bind(1, level);
  new_run_.run();
  return sqlite3_last_insert_rowid(connection_.get());
}

void sqlite_key_runs::insert(int64_t run, const sqlite_key_position* rows, size_t count) {
  for (size_t next = 0; next < count;) {
    auto take = sqlite_rows_in_next_insert(count - next);
    auto& statement = take == sqlite_rows_per_insert ? insert_many_ : insert_one_;
    int parameter = 1;
    for (size_t index = next; index < next + take; ++index) {
      statement.bind(parameter++, run);
      statement.bind(parameter++, rows[index].key);
      statement.bind(parameter++, rows[index].pos);
    }
    statement.run();
    next += take;
  }
}

void sqlite_key_runs::publish(int64_t run, int64_t keys) {
  publish_.bind(1, run);
  publish_.bind(2, keys);
  publish_.run();
}

bool sqlite_key_runs::step() {
  try {
    if (compacting_) {
      compact_slice();
      return true;
    }
    if (auto leftover = run_not_live()) {
      delete_slice(*leftover);
      return true;
    }
    return start_compaction();
  } catch (...) {
    connection_.rollback();
    compacting_.reset();  // its target is not live: deleted as a leftover, the compaction redone
    throw;
  }
}

void sqlite_key_runs::begin() {
  connection_.execute("BEGIN IMMEDIATE", "begin a key run step");
}

void sqlite_key_runs::commit() {
  connection_.execute("COMMIT", "commit a key run step");
}

std::optional<int64_t> sqlite_key_runs::run_not_live() {
  sqlite_statement_use use(not_live_);
  if (!use->step())
    return std::nullopt;
  return use->column_int64(0);
}

// Deletes up to slice_keys of the run's rows, in key order; the run is forgotten with its last.
void sqlite_key_runs::delete_slice(int64_t run) {
  begin();
  std::optional<std::string> first_kept;
  {
    sqlite_statement_use use(nth_key_);
    use->bind(1, run);
    use->bind(2, static_cast<int64_t>(slice_keys_));
    if (use->step())
      first_kept = std::string(use->column_text(0));
  }
  if (first_kept) {
    delete_before_.bind(1, run);
    delete_before_.bind(2, *first_kept);
    delete_before_.run();
  } else {
    delete_run_rows_.bind(1, run);
    delete_run_rows_.run();
    forget_run_.bind(1, run);
    forget_run_.run();
  }
  commit();
}

// The oldest fan_in live runs of the lowest level that has that many, into a new run one
// level up.
bool sqlite_key_runs::start_compaction() {
  std::optional<int64_t> level;
  {
    sqlite_statement_use use(full_level_);
    use->bind(1, static_cast<int64_t>(fan_in_));
    if (use->step())
      level = use->column_int64(0);
  }
  if (!level)
    return false;
  compaction work;
  {
    sqlite_statement_use use(runs_of_level_);
    use->bind(1, *level);
    use->bind(2, static_cast<int64_t>(fan_in_));
    while (use->step()) {
      source_cursor source;
      source.run = use->column_int64(0);
      work.sources.push_back(std::move(source));
    }
  }
  begin();
  work.target = begin_run(*level + 1);
  commit();
  compacting_ = std::move(work);
  return true;
}

// Reads the source's next batch of keys once it has none left: false when it has no more.
bool sqlite_key_runs::refill(source_cursor& source) {
  if (source.next < source.keys.size())
    return true;
  if (source.exhausted)
    return false;
  auto& query = source.last_read ? keys_after_ : keys_from_start_;
  sqlite_statement_use use(query);
  use->bind(1, source.run);
  use->bind(2, static_cast<int64_t>(slice_keys_));
  if (source.last_read)
    use->bind(3, *source.last_read);
  while (use->step())
    source.keys.emplace_back(std::string(use->column_text(0)), use->column_int64(1));
  source.exhausted = source.keys.size() - source.next < slice_keys_;
  if (source.next == source.keys.size())
    return false;
  source.last_read = source.keys.back().first;
  return true;
}

// Writes up to slice_keys keys into the target, the smallest first of all the sources (a
// k-way merge of runs each in key order). Once every source is written out, the target
// replaces them in the same commit.
void sqlite_key_runs::compact_slice() {
  auto& work = *compacting_;
  for (auto& source : work.sources) {  // the keys the last slice took are written
    source.keys.erase(source.keys.begin(), source.keys.begin() + static_cast<std::ptrdiff_t>(source.next));
    source.next = 0;
  }
  begin();
  std::vector<sqlite_key_position> rows;
  rows.reserve(slice_keys_);
  const std::string* previous = work.written > 0 ? &work.last_written : nullptr;
  int64_t previous_run = work.last_written_run;
  bool drained = false;
  while (rows.size() < slice_keys_) {
    source_cursor* smallest = nullptr;
    for (auto& source : work.sources)
      if (refill(source) && (smallest == nullptr || source.keys[source.next].first < smallest->keys[smallest->next].first))
        smallest = &source;
    if (smallest == nullptr) {
      drained = true;
      break;
    }
    const auto& [key, pos] = smallest->keys[smallest->next++];
    if (previous != nullptr && *previous == key)
      throw journal_error("sqlite: idempotency key " + key + " is indexed twice (runs " + std::to_string(previous_run)
                          + " and " + std::to_string(smallest->run) + ")");
    rows.push_back({key, pos});
    previous = &key;
    previous_run = smallest->run;
  }
  insert(work.target, rows.data(), rows.size());
  work.written += static_cast<int64_t>(rows.size());
  if (!rows.empty()) {
    work.last_written = std::string(rows.back().key);
    work.last_written_run = previous_run;
  }
  if (!drained) {
    commit();
    return;
  }
  for (const auto& source : work.sources) {
    retire_.bind(1, source.run);
    retire_.run();
  }
  publish(work.target, work.written);
  commit();
  compacting_.reset();
}

} // namespace ledgerflow
