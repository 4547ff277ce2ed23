// Opening a connection to the PostgreSQL journal's database, and naming it in messages.
#pragma once

#include <memory>
#include <string>

#include "persistence/postgresql/postgresql_pqxx.hpp"

namespace ledgerflow {

// The URL with its password (if any) replaced by "***", fit for logs and error messages.
std::string redact_postgresql_url(const std::string& url);

// The URL with `schema` first on the connection's search_path (libpq's options parameter), so a
// journal opened with it keeps its tables there. `schema` must be a plain lowercase identifier.
std::string postgresql_url_with_schema(const std::string& url, const std::string& schema);

// Connects (throws pqxx::broken_connection when the server does not answer). Makes commits on
// this connection durable: a server configured with synchronous_commit = off would acknowledge
// a commit before its WAL is flushed, so the session turns it back on. Unless the URL names one,
// the session's application_name is "ledgerflow <role>", so operators can tell the connections
// apart in pg_stat_activity.
std::unique_ptr<pqxx::connection> connect_postgresql(const std::string& url, const std::string& role);

} // namespace ledgerflow
