// Read connections for the SQLite journal, lent to one thread at a time. Opened on demand up
// to read_connections_max; a reader that finds none free waits at most busy_timeout_ms.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "persistence/sqlite/sqlite_journal_reader.hpp"
#include "persistence/sqlite/sqlite_options.hpp"

namespace ledgerflow {

class sqlite_reader_pool {
public:
  // Hands its reader back to the pool when it goes out of scope.
  class lease {
  public:
    lease(sqlite_reader_pool& pool, std::unique_ptr<sqlite_journal_reader> reader)
      : pool_(pool), reader_(std::move(reader)) {}
    ~lease() { pool_.give_back(std::move(reader_)); }
    lease(const lease&) = delete;
    lease& operator=(const lease&) = delete;

    sqlite_journal_reader* operator->() const { return reader_.get(); }
    sqlite_journal_reader& operator*() const { return *reader_; }

  private:
    sqlite_reader_pool& pool_;
    std::unique_ptr<sqlite_journal_reader> reader_;
  };

  sqlite_reader_pool(std::string path, sqlite_options options);

  // Throws journal_error when no connection frees up in time or a new one cannot be opened.
  lease acquire();

private:
  void give_back(std::unique_ptr<sqlite_journal_reader> reader);

  const std::string path_;
  const sqlite_options options_;
  std::mutex mutex_;
  std::condition_variable given_back_;
  std::vector<std::unique_ptr<sqlite_journal_reader>> idle_;
  size_t opened_ = 0;
};

} // namespace ledgerflow
