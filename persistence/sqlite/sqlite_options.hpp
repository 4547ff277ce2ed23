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
  // The writer's page cache. Inserts land all over the primary key (one spot per account),
  // so a cache smaller than that working set rereads pages on every batch.
  size_t writer_cache_kib = 64 * 1024;
  // WAL pages after which a commit copies the log back into the database (a checkpoint,
  // with its own fsync). SQLite's 1,000 would checkpoint after nearly every large batch;
  // a bigger log costs disk space and a longer replay after a crash, not correctness.
  uint32_t wal_autocheckpoint_pages = 16 * 1024;
  // Reads run on their own connections, so they never wait for the writer; this bounds them.
  size_t read_connections_max = 4;
};

} // namespace ledgerflow
