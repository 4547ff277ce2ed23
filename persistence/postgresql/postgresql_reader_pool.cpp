#include "persistence/postgresql/postgresql_reader_pool.hpp"

#include <chrono>
#include <thread>

#include "persistence/postgresql/postgresql_connection.hpp"
#include "persistence/postgresql/postgresql_errors.hpp"
#include "persistence/postgresql/postgresql_rows.hpp"
#include "persistence/saga_log_sql.hpp"

namespace ledgerflow {

namespace {

// Every statement the readers use, prepared on each connection as it opens.
void prepare_reads(pqxx::connection& connection) {
  connection.prepare("read_entries", std::string("SELECT ") + postgresql_entry_columns
                                       + " FROM entries WHERE account = $1 AND seq > $2 ORDER BY seq LIMIT $3");
  connection.prepare("entries_after", std::string("SELECT ") + postgresql_entry_columns
                                        + " FROM entries WHERE (account, seq) > ($1, $2) ORDER BY account, seq LIMIT $3");
  connection.prepare("last_seq", "SELECT coalesce(max(seq), 0) FROM entries WHERE account = $1");
  connection.prepare("latest_snapshot", "SELECT body FROM snapshots WHERE account = $1");
  connection.prepare("find_idempotency",
                     "SELECT key, request_hash, response, created_us FROM idempotency WHERE key = $1");
  connection.prepare("inflight_legs", std::string("SELECT ") + postgresql_leg_columns + " FROM inflight_legs");
  connection.prepare("find_saga", std::string("SELECT ") + saga_columns + " FROM sagas WHERE id = $1");
  // One statement per filter shape, so each can use its index (see saga_filter_shape).
  for (size_t shape = 0; shape < saga_filter_shapes; ++shape)
    connection.prepare(postgresql_list_sagas_statement(shape), saga_list_sql(shape, '$'));
  // The partial index sagas_unfinished answers this: its WHERE is this condition.
  connection.prepare("unfinished_sagas",
                     std::string("SELECT ") + saga_columns + " FROM sagas WHERE " + saga_unfinished_condition);
  connection.prepare("saga_counts", "SELECT type, state, count(*) FROM sagas GROUP BY type, state ORDER BY type, state");
  connection.prepare("saga_ids", "SELECT id FROM sagas");
  // Each distinct account by one index probe (a skip scan), not by reading every entry.
  connection.prepare("accounts",
                     "WITH RECURSIVE found (account) AS ("
                     " (SELECT account FROM entries ORDER BY account LIMIT 1)"
                     " UNION ALL"
                     " SELECT (SELECT e.account FROM entries e WHERE e.account > found.account ORDER BY e.account LIMIT 1)"
                     " FROM found WHERE found.account IS NOT NULL)"
                     " SELECT account FROM found WHERE account IS NOT NULL");
}

} // namespace

std::string postgresql_list_sagas_statement(size_t shape) {
  return "list_sagas_" + std::to_string(shape);
}

postgresql_reader_pool::postgresql_reader_pool(std::string url, postgresql_options options)
  : url_(std::move(url)), options_(options) {
  if (options_.read_connections_max == 0)
    throw journal_error("postgresql: read_connections_max must be at least 1");
  if (options_.read_attempts_max == 0)
    throw journal_error("postgresql: read_attempts_max must be at least 1");
}

postgresql_reader_pool::~postgresql_reader_pool() = default;

std::unique_ptr<pqxx::connection> postgresql_reader_pool::open_connection() {
  auto connection = connect_postgresql(url_, "reader");
  prepare_reads(*connection);
  return connection;
}

std::unique_ptr<pqxx::connection> postgresql_reader_pool::acquire(const char* doing) {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    auto available = [&] { return !idle_.empty() || lent_or_idle_ < options_.read_connections_max; };
    if (!given_back_.wait_for(lock, std::chrono::milliseconds(options_.read_wait_ms_max), available))
      throw journal_error(std::string(doing) + ": no PostgreSQL read connection came free within "
                          + std::to_string(options_.read_wait_ms_max) + " ms");
    if (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      return connection;
    }
    ++lent_or_idle_;  // the caller opens it, without the lock
    return nullptr;
  }
}

void postgresql_reader_pool::give_back(std::unique_ptr<pqxx::connection> connection) {
  {
    std::lock_guard<std::mutex> guard(mutex_);
    if (connection && connection->is_open())
      idle_.push_back(std::move(connection));
    else
      --lent_or_idle_;
  }
  given_back_.notify_one();
}

// Called in a catch block. A connection failure closes the connection (a new one opens at the
// next attempt) and, while attempts are left, waits and returns so the read runs again.
void postgresql_reader_pool::handle_failure(std::unique_ptr<pqxx::connection> connection, size_t attempt,
                                            const char* doing) {
  auto failure = std::current_exception();
  bool lost = is_connection_failure(failure) || (connection && !connection->is_open());
  if (lost)
    connection.reset();
  give_back(std::move(connection));
  if (!lost || attempt >= options_.read_attempts_max)
    rethrow_as_journal_error(std::string(doing) + (lost ? " (after " + std::to_string(attempt) + " attempts)" : ""));
  auto backoff = std::chrono::milliseconds(options_.retry_backoff_ms) * (1u << std::min<size_t>(attempt - 1, 10));
  std::this_thread::sleep_for(backoff);
}

bool postgresql_reader_pool::probe() {
  std::unique_ptr<pqxx::connection> connection;
  try {
    connection = acquire("probe");
  } catch (const journal_error&) {
    return false;  // every connection busy for read_wait_ms_max: not healthy either
  }
  try {
    if (!connection)
      connection = open_connection();
    pqxx::nontransaction(*connection).exec1("SELECT 1");
    give_back(std::move(connection));
    return true;
  } catch (...) {
    give_back(nullptr);  // a connection that failed is suspect: the next read opens a fresh one
    return false;
  }
}

} // namespace ledgerflow
