#include "persistence/postgresql/postgresql_connection.hpp"

namespace ledgerflow {

std::string redact_postgresql_url(const std::string& url) {
  // scheme://user:password@host...: the password sits between the first ':' after "//" and '@'.
  auto authority = url.find("//");
  if (authority == std::string::npos)
    return url;
  authority += 2;
  auto at = url.find('@', authority);
  auto slash = url.find('/', authority);
  if (at == std::string::npos || (slash != std::string::npos && slash < at))
    return url;
  auto colon = url.find(':', authority);
  if (colon == std::string::npos || colon > at)
    return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

std::string postgresql_url_with_schema(const std::string& url, const std::string& schema) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + schema;
}

std::unique_ptr<pqxx::connection> connect_postgresql(const std::string& url, const std::string& role) {
  auto connection = std::make_unique<pqxx::connection>(url);
  pqxx::nontransaction session(*connection);
  auto settings = session.exec1("SELECT current_setting('synchronous_commit'), current_setting('application_name')");
  if (settings[0].as<std::string>() == "off")
    session.exec0("SET synchronous_commit = on");
  if (settings[1].as<std::string>().empty())  // the URL's application_name wins
    session.exec_params("SELECT set_config('application_name', $1, false)", "ledgerflow " + role);
  return connection;
}

} // namespace ledgerflow
