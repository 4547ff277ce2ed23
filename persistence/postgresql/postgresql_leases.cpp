#include "persistence/postgresql/postgresql_leases.hpp"

#include "persistence/postgresql/postgresql_connection.hpp"
#include "persistence/postgresql/postgresql_errors.hpp"
#include "persistence/postgresql/postgresql_pqxx.hpp"
#include "persistence/postgresql/postgresql_schema.hpp"

namespace ledgerflow {

namespace {

constexpr const char* returned_columns =
  " RETURNING name, holder, epoch, (extract(epoch FROM expires_at) * 1000000)::bigint";

// Granted when free: never granted, expired, or already this holder's. The epoch stays only
// for the holder that still has it; everything else is a takeover.
const std::string acquire_sql =
  std::string("INSERT INTO leases AS l (name, holder, epoch, expires_at)"
              " VALUES ($1, $2, 1, clock_timestamp() + $3::bigint * interval '1 millisecond')"
              " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at,"
              " epoch = CASE WHEN l.holder = excluded.holder AND l.expires_at > clock_timestamp()"
              " THEN l.epoch ELSE l.epoch + 1 END"
              " WHERE l.holder = excluded.holder OR l.expires_at <= clock_timestamp()")
  + returned_columns;
const std::string renew_sql =
  std::string("UPDATE leases SET expires_at = clock_timestamp() + $4::bigint * interval '1 millisecond'"
              " WHERE name = $1 AND holder = $2 AND epoch = $3")
  + returned_columns;
// Expired at the epoch's start of time: the next acquire takes it over (and raises the epoch).
const std::string release_sql = std::string("UPDATE leases SET expires_at = 'epoch'"
                                            " WHERE name = $1 AND holder = $2 AND epoch = $3")
                                + returned_columns;
constexpr const char* current_sql =
  "SELECT name, holder, epoch, (extract(epoch FROM expires_at) * 1000000)::bigint FROM leases WHERE name = $1";

std::optional<lease_grant> grant_of(const pqxx::result& rows) {
  if (rows.empty())
    return std::nullopt;
  const auto& row = rows[0];
  return lease_grant{row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<uint64_t>(), row[3].as<int64_t>()};
}

int64_t ttl_ms(std::chrono::milliseconds ttl) {
  if (ttl.count() <= 0)
    throw journal_error("lease: the ttl must be positive");
  return static_cast<int64_t>(ttl.count());
}

} // namespace

postgresql_leases::postgresql_leases(const std::string& url) : url_(url) {
  try {
    connection_ = connect_postgresql(url_, "leases");
  } catch (...) {
    rethrow_as_journal_error("lease: cannot connect to " + redact_postgresql_url(url_));
  }
  migrate_postgresql_schema(*connection_);
}

postgresql_leases::~postgresql_leases() = default;

// One autocommit statement; a lost connection is replaced at the next call (not retried here:
// the caller's renewal loop decides how long it may go without its lease).
template <class Work>
auto postgresql_leases::run(const char* doing, Work&& work) {
  std::lock_guard<std::mutex> guard(mutex_);
  try {
    if (!connection_ || !connection_->is_open())
      connection_ = connect_postgresql(url_, "leases");
    pqxx::nontransaction transaction(*connection_);
    return work(transaction);
  } catch (...) {
    if (connection_ && !connection_->is_open())
      connection_.reset();
    rethrow_as_journal_error(doing);
  }
}

std::optional<lease_grant> postgresql_leases::acquire(const std::string& name, const std::string& holder,
                                                      std::chrono::milliseconds ttl) {
  if (holder.empty())
    throw journal_error("lease: a holder needs a name");
  auto ms = ttl_ms(ttl);
  return run("lease acquire", [&](pqxx::nontransaction& t) { return grant_of(t.exec_params(acquire_sql, name, holder, ms)); });
}

std::optional<lease_grant> postgresql_leases::renew(const lease_grant& held, std::chrono::milliseconds ttl) {
  auto ms = ttl_ms(ttl);
  return run("lease renew", [&](pqxx::nontransaction& t) {
    return grant_of(t.exec_params(renew_sql, held.name, held.holder, static_cast<int64_t>(held.epoch), ms));
  });
}

bool postgresql_leases::release(const lease_grant& held) {
  return run("lease release", [&](pqxx::nontransaction& t) {
    return !t.exec_params(release_sql, held.name, held.holder, static_cast<int64_t>(held.epoch)).empty();
  });
}

std::optional<lease_grant> postgresql_leases::current(const std::string& name) {
  return run("lease current", [&](pqxx::nontransaction& t) { return grant_of(t.exec_params(current_sql, name)); });
}

} // namespace ledgerflow
