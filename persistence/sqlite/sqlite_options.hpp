// How the SQLite journal opens its database file (config: [storage.sqlite]).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ledgerflow {

// PRAGMA synchronous. In WAL mode `full` fsyncs the log on every commit, so a committed
// batch survives power loss; `normal` survives a process crash only; `off` is for benchmarks.
enum class sqlite_synchronous : uint8_t { off, normal, full, extra };

std::string_view to_string(sqlite_synchronous mode);
bool sqlite_synchronous_from_string(std::string_view name, sqlite_synchronous& mode);

struct sqlite_options {
  sqlite_synchronous synchronous = sqlite_synchronous::full;
  // How long a statement waits for a lock held by another connection (e.g. a checkpoint, or
  // a second process) before it fails; also how long a read waits for a free connection.
  uint32_t busy_timeout_ms = 5'000;
  // The writer's page cache. Appends touch only the last pages of the log, but the index
  // merge and the idempotency-key lookups land all over their B-trees.
  size_t writer_cache_kib = 64 * 1024;
  // Entry rows (or idempotency records) appended since the last index merge after which an
  // append starts merging them into the indexes. Larger means fewer, bigger merges (more rows
  // per touched index page) but more memory for the unmerged tail and a longer scan at open
  // (and, with index_merge_background off, a longer pause for the batch that runs the merge).
  // Each merge touches about one index page per account it covers, so bigger merges put more
  // rows on each page they write. Measured with the background merger (bench ledger, 10,000
  // accounts, 2026-12-02, four alternated 10 s runs each): 200k 6.7 µs of merger CPU a
  // transfer, 800k 3.8 (28.3 -> 25.3 µs a transfer in all, ~57k -> ~63k transfers/s); over
  // 30 s runs 7.7 -> 5.7 (1.6M: 5.2). The cost: a tail of up to ~1M rows in memory (~50 MB)
  // and as many rows to scan at open after a crash.
  size_t index_merge_rows = 800'000;
  // Whether the merge runs on its own thread and connection (the append path then neither
  // pays for it nor pauses for it) or right after the append that makes it due, on the
  // appending thread. The thread also runs the WAL checkpoints, so appends do not.
  bool index_merge_background = true;
  // Index rows a merge writes per transaction in the index file (which has its own write
  // lock, so appends never wait for a chunk). Only the last chunk makes the merge visible in
  // index_meta; a merge also takes at most unmerged_rows_max rows of each log.
  size_t index_merge_chunk_rows = 4'000;
  // A background merge falls behind when appends come faster than it indexes them; past
  // this many unmerged rows an append waits for the merge in flight, bounding the memory of
  // the tail (about 50 bytes a row) and of the rows kept for the merger (sqlite_unmerged_rows:
  // about as much again).
  size_t unmerged_rows_max = 2'000'000;
  // Accounts whose last seq the journal remembers between merges (so a batch's density check
  // reads nothing for them). Past this, a merge drops them all and they are refilled from the
  // index one lookup per account, so memory stays bounded with millions of accounts.
  size_t head_cache_accounts_max = 1'000'000;
  // WAL pages after which a commit copies the log back into the database (a checkpoint,
  // with its own fsync). SQLite's 1,000 would checkpoint after nearly every large batch;
  // a bigger log costs disk space and a longer replay after a crash, not correctness.
  // Measured with the append-only layout: 4 Ki pages ~4% slower than this, 64 Ki ~2% faster.
  uint32_t wal_autocheckpoint_pages = 16 * 1024;
  // Merged idempotency keys are kept in sorted runs (sqlite_key_runs.hpp): this many runs of
  // one level are compacted into one of the next level, and a compaction (or the deletion of
  // the runs it replaced) writes this many keys per transaction, between which a merge may go
  // first. More runs a level: fewer rewrites of each key, more runs a lookup searches.
  size_t key_run_fan_in = 8;
  size_t key_run_slice_keys = 20'000;
  // Reads run on their own connections, so they never wait for the writer; this bounds them.
  size_t read_connections_max = 4;
  // Keys the Bloom filter over the merged idempotency keys is first sized for (0 turns it
  // off). The filter answers a lookup of a never-written key (most of them: each new transfer
  // makes one) without an index probe, wrongly "maybe" ~1% of the time at full load. It takes
  // 1.25 bytes per key of capacity; when the merged keys pass it, the merge that passes it
  // rebuilds the filter at double the capacity from the index (~0.15 s per million keys),
  // and so does open() for a file holding more. So it takes 1.25-2.5 bytes per merged key
  // (half as much again while a rebuild runs), and at least the first size.
  size_t idempotency_filter_keys = 1'000'000;
  // Where the doubling stops (125 MB at the default); past it the filter only fills up: more
  // false positives, each one an index probe, never a wrong answer.
  size_t idempotency_filter_keys_max = 100'000'000;
};

} // namespace ledgerflow
