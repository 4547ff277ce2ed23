#include "app/journal_factory.hpp"

#include "persistence/postgresql/postgresql_journal.hpp"
#include "persistence/sqlite/sqlite_journal.hpp"

namespace ledgerflow {

std::shared_ptr<journal> open_journal(const std::string& url, const app_config& config) {
  constexpr std::string_view sqlite_scheme = "sqlite:";
  if (url.rfind(sqlite_scheme, 0) == 0)
    return sqlite_journal::open(url.substr(sqlite_scheme.size()), config.sqlite);
  if (url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0)
    return postgresql_journal::open(url);
  throw journal_error("unknown database URL \"" + url + "\": use sqlite:PATH or postgresql://USER@HOST:PORT/DATABASE");
}

} // namespace ledgerflow
