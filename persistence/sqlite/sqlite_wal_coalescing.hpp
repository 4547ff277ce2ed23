// A VFS for the journal's appending connection that hands a commit's WAL frames to the OS in
// one write instead of two per page.
//
// SQLite writes each WAL frame as two pwrite calls (its 24-byte header, then the page), so a
// batch of ~40 pages costs ~80 system calls. On this project's VMs a system call costs ~4 µs
// and the fsync after many small writes takes longer than after one large one: measured with
// 40 frames and an fdatasync per commit, ~900-1,080 µs against ~540-660 µs a commit.
//
// The VFS passes every file straight through to the platform's default VFS except WAL files.
// For those it gathers contiguous writes in memory and writes them out, as one pwrite, before
// anything that could observe them: a sync, a read, a truncate, a size query, a write that is
// not contiguous, or close.
//
// Only for connections with `PRAGMA synchronous` FULL or EXTRA. With those SQLite syncs the
// WAL at every commit before it publishes the commit to other connections (in the wal-index),
// so no other connection can read a frame still in the buffer. With NORMAL or OFF it publishes
// without a sync, and a reader could see a commit whose frames are not in the file yet.
#pragma once

#include <cstdint>

namespace ledgerflow {

// Registers the VFS on first use (not as the default) and returns its name, for
// sqlite3_open_v2.
const char* sqlite_wal_coalescing_vfs();

// Process-wide counts of WAL writes SQLite made through the VFS and writes it handed to the
// OS, for tests and benchmarks.
struct sqlite_wal_write_counts {
  uint64_t received = 0;
  uint64_t issued = 0;
};
sqlite_wal_write_counts sqlite_wal_coalescing_counts();

} // namespace ledgerflow
