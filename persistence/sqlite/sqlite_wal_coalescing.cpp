#include "persistence/sqlite/sqlite_wal_coalescing.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>

#include <sqlite3.h>

namespace ledgerflow {

namespace {

constexpr const char* vfs_name = "ledgerflow-wal-coalescing";
// A commit of a few thousand entries is ~1 MB of frames; past this the buffer is written out
// and starts again, so a huge transaction never holds more than this much in memory.
constexpr size_t buffer_bytes_max = 8 << 20;
constexpr size_t buffer_bytes_first = 256 << 10;

std::atomic<uint64_t> writes_received{0};
std::atomic<uint64_t> writes_issued{0};

// A WAL file: SQLite's view of it (`base`, which must come first), the platform's file right
// after this header in the same allocation, and the writes not yet handed to the OS.
struct wal_file {
  sqlite3_file base;
  sqlite3_file* real;
  char* buffer;
  size_t size;
  size_t capacity;
  sqlite3_int64 offset;  // where buffer[0] goes in the file
};

constexpr size_t header_bytes = (sizeof(wal_file) + 15) / 16 * 16;

sqlite3_vfs* platform_vfs(sqlite3_vfs* vfs) {
  return static_cast<sqlite3_vfs*>(vfs->pAppData);
}

wal_file* as_wal(sqlite3_file* file) {
  return reinterpret_cast<wal_file*>(file);
}

// SQLite's unix VFS writes at most 128 KiB - 1 bytes per system call (it masks the length
// with 0x1ffff, and takes a length of exactly 128 KiB for a full disk): hand it less.
constexpr size_t platform_write_bytes_max = 124 << 10;

int write_out(wal_file& wal) {
  int code = SQLITE_OK;
  for (size_t done = 0; done < wal.size && code == SQLITE_OK; done += platform_write_bytes_max) {
    auto piece = std::min(platform_write_bytes_max, wal.size - done);
    writes_issued.fetch_add(1, std::memory_order_relaxed);
    code = wal.real->pMethods->xWrite(wal.real, wal.buffer + done, static_cast<int>(piece),
                                      wal.offset + static_cast<sqlite3_int64>(done));
  }
  wal.size = 0;  // on failure too: SQLite treats the failed write as its own and rolls back
  return code;
}

bool reserve(wal_file& wal, size_t bytes) {
  if (bytes <= wal.capacity)
    return true;
  auto capacity = wal.capacity == 0 ? buffer_bytes_first : wal.capacity;
  while (capacity < bytes)
    capacity *= 2;
  auto* grown = static_cast<char*>(std::realloc(wal.buffer, capacity));
  if (grown == nullptr)
    return false;
  wal.buffer = grown;
  wal.capacity = capacity;
  return true;
}

int wal_write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  auto& wal = *as_wal(file);
  writes_received.fetch_add(1, std::memory_order_relaxed);
  auto bytes = static_cast<size_t>(amount);
  bool follows = wal.size > 0 && offset == wal.offset + static_cast<sqlite3_int64>(wal.size);
  if (!follows || wal.size + bytes > buffer_bytes_max) {
    if (int code = write_out(wal); code != SQLITE_OK)
      return code;
    wal.offset = offset;
  }
  if (bytes > platform_write_bytes_max || !reserve(wal, wal.size + bytes)) {
    writes_issued.fetch_add(1, std::memory_order_relaxed);
    return wal.real->pMethods->xWrite(wal.real, data, amount, offset);
  }
  std::memcpy(wal.buffer + wal.size, data, bytes);
  wal.size += bytes;
  return SQLITE_OK;
}

int wal_close(sqlite3_file* file) {
  auto& wal = *as_wal(file);
  int written = write_out(wal);
  int closed = wal.real->pMethods->xClose(wal.real);
  std::free(wal.buffer);
  wal.buffer = nullptr;
  wal.capacity = 0;
  return written != SQLITE_OK ? written : closed;
}

// Everything that could observe the file's contents or size writes the buffer out first.
int wal_read(sqlite3_file* file, void* data, int amount, sqlite3_int64 offset) {
  auto& wal = *as_wal(file);
  if (int code = write_out(wal); code != SQLITE_OK)
    return code;
  return wal.real->pMethods->xRead(wal.real, data, amount, offset);
}

int wal_truncate(sqlite3_file* file, sqlite3_int64 size) {
  auto& wal = *as_wal(file);
  if (int code = write_out(wal); code != SQLITE_OK)
    return code;
  return wal.real->pMethods->xTruncate(wal.real, size);
}

int wal_sync(sqlite3_file* file, int flags) {
  auto& wal = *as_wal(file);
  if (int code = write_out(wal); code != SQLITE_OK)
    return code;
  return wal.real->pMethods->xSync(wal.real, flags);
}

int wal_file_size(sqlite3_file* file, sqlite3_int64* size) {
  auto& wal = *as_wal(file);
  if (int code = write_out(wal); code != SQLITE_OK)
    return code;
  return wal.real->pMethods->xFileSize(wal.real, size);
}

int wal_lock(sqlite3_file* file, int level) {
  auto* real = as_wal(file)->real;
  return real->pMethods->xLock(real, level);
}

int wal_unlock(sqlite3_file* file, int level) {
  auto* real = as_wal(file)->real;
  return real->pMethods->xUnlock(real, level);
}

int wal_check_reserved_lock(sqlite3_file* file, int* reserved) {
  auto* real = as_wal(file)->real;
  return real->pMethods->xCheckReservedLock(real, reserved);
}

int wal_file_control(sqlite3_file* file, int op, void* argument) {
  auto& wal = *as_wal(file);
  // Size hints and the like act on the file as it is: let them see all of it.
  if (int code = write_out(wal); code != SQLITE_OK)
    return code;
  return wal.real->pMethods->xFileControl(wal.real, op, argument);
}

int wal_sector_size(sqlite3_file* file) {
  auto* real = as_wal(file)->real;
  return real->pMethods->xSectorSize(real);
}

int wal_device_characteristics(sqlite3_file* file) {
  auto* real = as_wal(file)->real;
  return real->pMethods->xDeviceCharacteristics(real);
}

// Version 1: SQLite asks a WAL file for no shared memory and no memory mapping.
const sqlite3_io_methods wal_methods = {
  1,
  wal_close,
  wal_read,
  wal_write,
  wal_truncate,
  wal_sync,
  wal_file_size,
  wal_lock,
  wal_unlock,
  wal_check_reserved_lock,
  wal_file_control,
  wal_sector_size,
  wal_device_characteristics,
  nullptr,
  nullptr,
  nullptr,
  nullptr,
  nullptr,
  nullptr,
};

int open_file(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  auto* platform = platform_vfs(vfs);
  if ((flags & SQLITE_OPEN_WAL) == 0)  // every other file is the platform's own, unwrapped
    return platform->xOpen(platform, name, file, flags, out_flags);
  auto* wal = new (file) wal_file{};
  wal->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + header_bytes);
  int code = platform->xOpen(platform, name, wal->real, flags, out_flags);
  if (code != SQLITE_OK) {
    // SQLite calls xClose after a failed xOpen only when pMethods is set: close it here.
    if (wal->real->pMethods != nullptr)
      wal->real->pMethods->xClose(wal->real);
    wal->base.pMethods = nullptr;
    return code;
  }
  wal->base.pMethods = &wal_methods;
  return SQLITE_OK;
}

int delete_file(sqlite3_vfs* vfs, const char* name, int sync_directory) {
  return platform_vfs(vfs)->xDelete(platform_vfs(vfs), name, sync_directory);
}

int access_file(sqlite3_vfs* vfs, const char* name, int flags, int* result) {
  return platform_vfs(vfs)->xAccess(platform_vfs(vfs), name, flags, result);
}

int full_pathname(sqlite3_vfs* vfs, const char* name, int size, char* out) {
  return platform_vfs(vfs)->xFullPathname(platform_vfs(vfs), name, size, out);
}

void* dl_open(sqlite3_vfs* vfs, const char* name) {
  return platform_vfs(vfs)->xDlOpen(platform_vfs(vfs), name);
}

void dl_error(sqlite3_vfs* vfs, int size, char* message) {
  platform_vfs(vfs)->xDlError(platform_vfs(vfs), size, message);
}

void (*dl_sym(sqlite3_vfs* vfs, void* library, const char* symbol))(void) {
  return platform_vfs(vfs)->xDlSym(platform_vfs(vfs), library, symbol);
}

void dl_close(sqlite3_vfs* vfs, void* library) {
  platform_vfs(vfs)->xDlClose(platform_vfs(vfs), library);
}

int randomness(sqlite3_vfs* vfs, int size, char* out) {
  return platform_vfs(vfs)->xRandomness(platform_vfs(vfs), size, out);
}

int sleep_for(sqlite3_vfs* vfs, int microseconds) {
  return platform_vfs(vfs)->xSleep(platform_vfs(vfs), microseconds);
}

int current_time(sqlite3_vfs* vfs, double* now) {
  return platform_vfs(vfs)->xCurrentTime(platform_vfs(vfs), now);
}

int last_error(sqlite3_vfs* vfs, int size, char* message) {
  return platform_vfs(vfs)->xGetLastError(platform_vfs(vfs), size, message);
}

int current_time_int64(sqlite3_vfs* vfs, sqlite3_int64* now) {
  return platform_vfs(vfs)->xCurrentTimeInt64(platform_vfs(vfs), now);
}

sqlite3_vfs make_vfs(sqlite3_vfs* platform) {
  sqlite3_vfs vfs{};
  vfs.iVersion = 2;  // the system-call overrides (version 3) are for SQLite's own tests
  vfs.szOsFile = static_cast<int>(header_bytes) + platform->szOsFile;
  vfs.mxPathname = platform->mxPathname;
  vfs.zName = vfs_name;
  vfs.pAppData = platform;
  vfs.xOpen = open_file;
  vfs.xDelete = delete_file;
  vfs.xAccess = access_file;
  vfs.xFullPathname = full_pathname;
  vfs.xDlOpen = dl_open;
  vfs.xDlError = dl_error;
  vfs.xDlSym = dl_sym;
  vfs.xDlClose = dl_close;
  vfs.xRandomness = randomness;
  vfs.xSleep = sleep_for;
  vfs.xCurrentTime = current_time;
  vfs.xGetLastError = last_error;
  vfs.xCurrentTimeInt64 = current_time_int64;
  return vfs;
}

} // namespace

const char* sqlite_wal_coalescing_vfs() {
  static std::once_flag registered;
  static sqlite3_vfs vfs;
  std::call_once(registered, [] {
    auto* platform = sqlite3_vfs_find(nullptr);
    // The platform's files live inside ours and reach no further than szOsFile.
    static_assert(alignof(wal_file) <= 16, "the platform's file follows the header at 16-byte alignment");
    vfs = make_vfs(platform);
    sqlite3_vfs_register(&vfs, 0);
  });
  return vfs_name;
}

sqlite_wal_write_counts sqlite_wal_coalescing_counts() {
  return {writes_received.load(std::memory_order_relaxed), writes_issued.load(std::memory_order_relaxed)};
}

} // namespace ledgerflow
