// Read connections for the PostgreSQL journal, lent to one thread at a time, so reads run
// concurrently with append() (which has its own connection) and with each other. Connections
// open on demand up to read_connections_max. A read that loses its connection is retried on a
// new one with backoff (bounded: read_attempts_max), since a read has no effect to repeat.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "persistence/journal.hpp"
#include "persistence/postgresql/postgresql_options.hpp"
#include "persistence/postgresql/postgresql_pqxx.hpp"

namespace ledgerflow {

// The name of the prepared list_sagas statement of a filter shape (saga_filter_shape).
std::string postgresql_list_sagas_statement(size_t shape);

class postgresql_reader_pool {
public:
  postgresql_reader_pool(std::string url, postgresql_options options);
  ~postgresql_reader_pool();

  // Runs `read(transaction)` in a single-round-trip, autocommit transaction on a pooled
  // connection and returns its result; every statement sees committed data only. Throws
  // journal_error naming `doing` when it fails for good.
  template <class Read>
  auto run(const char* doing, Read&& read) -> decltype(read(std::declval<pqxx::nontransaction&>())) {
    for (size_t attempt = 1;; ++attempt) {
      auto connection = acquire(doing);
      try {
        if (!connection)
          connection = open_connection();
        auto result = [&] {
          pqxx::nontransaction transaction(*connection);
          return read(transaction);
        }();  // the transaction ends before another thread may have the connection
        give_back(std::move(connection));
        return result;
      } catch (...) {
        handle_failure(std::move(connection), attempt, doing);  // rethrows unless it is worth a retry
      }
    }
  }

  // Whether the server answers a trivial query now (one attempt, no backoff).
  bool probe();

private:
  // Reserves a place in the pool: an idle connection, or null when a new one may be opened in
  // its place. Throws journal_error when none comes free in time.
  std::unique_ptr<pqxx::connection> acquire(const char* doing);
  // Returns the place; a null or broken connection frees it for a new one.
  void give_back(std::unique_ptr<pqxx::connection> connection);
  void handle_failure(std::unique_ptr<pqxx::connection> connection, size_t attempt, const char* doing);
  std::unique_ptr<pqxx::connection> open_connection();  // throws what libpqxx throws

  const std::string url_;
  const postgresql_options options_;
  std::mutex mutex_;
  std::condition_variable given_back_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  size_t lent_or_idle_ = 0;  // connections that exist (idle or lent)
};

} // namespace ledgerflow
