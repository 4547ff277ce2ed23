// The idempotency keys of the index file, in sorted runs (a log-structured merge).
//
// Each index merge writes its keys, sorted, as a new run: rows (run, key, pos) of
// idempotency_index, whose primary key starts with the run, so a new run is appended at the
// end of the B-tree and a merge writes only new pages, however many keys are indexed. When
// the keys went into one B-tree ordered by key, random keys (as client UUIDs are) touched
// nearly every leaf of it at each merge: a merge's cost grew with every key ever written
// (bench journal --random-keys, 120 s: 2.7 µs per index row and appends throttled to 70k
// transfers/s, against 1.7 µs and 98k with keys that count up).
//
// Runs of one level are compacted `fan_in` at a time into one run of the next level, so
// there are at most fan_in - 1 runs a level and log_fan_in(keys / keys a merge) levels, and
// each key is rewritten once a level, sequentially. A lookup searches every live run; the
// journal makes one only when its in-memory key filter says the key may be indexed.
//
// key_runs lists the runs: a run is live once written whole. One being written (by a merge
// or a compaction) or replaced by a compaction is not, and its rows are deleted a slice at
// a time by step(). At open, every run that is not live is such a leftover: a merge or a
// compaction a crash cut short is simply redone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "persistence/sqlite/sqlite_handle.hpp"

namespace ledgerflow {

// A WHERE condition on idempotency_index's `run` that keeps the live runs; `schema` is the
// index file's name on the connection ("" or "idx.").
std::string sqlite_live_runs_condition(std::string_view schema = "");

struct sqlite_key_position {
  std::string_view key;
  int64_t pos = 0;
};

class sqlite_key_runs {
public:
  // On the merger's connection to the index file, the only one writing it.
  sqlite_key_runs(sqlite_connection& connection, size_t fan_in, size_t slice_keys);

  // In the caller's transaction: a new run at `level`, not live yet.
  int64_t begin_run(int64_t level);
  // In the caller's transaction: `count` rows into `run`, in key order, keys not yet in it.
  void insert(int64_t run, const sqlite_key_position* rows, size_t count);
  // In the caller's transaction: `run` is whole, with `keys` keys, and searched from now on.
  void publish(int64_t run, int64_t keys);

  // One slice of upkeep in its own transaction (none may be open): a slice of a compaction,
  // or of the rows of a run no longer live. False when there was nothing to do. A key in two
  // runs is a journal_error: the journal is inconsistent.
  bool step();

private:
  // A source run read in key order, a batch of keys at a time. A deque: the rows of a slice
  // refer to its keys until the slice is inserted, and appending must not move them.
  struct source_cursor {
    int64_t run = 0;
    std::deque<std::pair<std::string, int64_t>> keys;  // keys[next..] not yet taken
    size_t next = 0;
    std::optional<std::string> last_read;
    bool exhausted = false;
  };
  struct compaction {
    std::vector<source_cursor> sources;
    int64_t target = 0;
    int64_t written = 0;
    std::string last_written;  // of the slices before; a key equal to it is in two runs
    int64_t last_written_run = 0;
  };
  bool refill(source_cursor& source);
  void begin();
  void commit();
  std::optional<int64_t> run_not_live();
  void delete_slice(int64_t run);
  bool start_compaction();
  void compact_slice();

  sqlite_connection& connection_;
  const size_t fan_in_;
  const size_t slice_keys_;
  std::optional<compaction> compacting_;
  sqlite_statement new_run_;
  sqlite_statement insert_one_;
  sqlite_statement insert_many_;  // sqlite_rows_per_insert rows a statement
  sqlite_statement publish_;
  sqlite_statement retire_;
  sqlite_statement not_live_;
  sqlite_statement nth_key_;
  sqlite_statement delete_before_;
  sqlite_statement delete_run_rows_;
  sqlite_statement forget_run_;
  sqlite_statement full_level_;
  sqlite_statement runs_of_level_;
  sqlite_statement keys_from_start_;
  sqlite_statement keys_after_;
};

} // namespace ledgerflow
