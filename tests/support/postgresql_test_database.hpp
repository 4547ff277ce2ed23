// The throwaway PostgreSQL server the tests run against (scripts/pg-test-server.sh, started by
// ctest's `postgresql` fixture), and a fresh schema on it for each test case.
//
// The server's state directory comes from LEDGERFLOW_TEST_PG_STATE (tests/CMakeLists.txt sets
// it); in it, `url` holds the server's URL and `script` the path of pg-test-server.sh.
#pragma once

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>

#include <unistd.h>

#include "persistence/postgresql/postgresql_connection.hpp"

namespace ledgerflow::testing {

inline std::string postgresql_test_state_dir() {
  const char* state = std::getenv("LEDGERFLOW_TEST_PG_STATE");
  if (state == nullptr || *state == '\0')
    throw std::runtime_error("LEDGERFLOW_TEST_PG_STATE is not set: run through ctest (the postgresql fixture)");
  return state;
}

// Runs scripts/pg-test-server.sh VERB STATE_DIR (restart, ...); its exit code.
// The first line of a file in the state directory.
inline std::string postgresql_test_state(const std::string& name) {
  std::ifstream file(postgresql_test_state_dir() + "/" + name);
  std::string line;
  if (!std::getline(file, line) || line.empty())
    throw std::runtime_error("no PostgreSQL test server: " + postgresql_test_state_dir() + "/" + name
                             + " is missing (scripts/pg-test-server.sh start)");
  return line;
}

inline int postgresql_test_server(const std::string& verb) {
  auto command = "\"" + postgresql_test_state("script") + "\" " + verb + " \"" + postgresql_test_state_dir() + "\"";
  return std::system(command.c_str());
}

// The URL of the test server's `postgres` database.
inline std::string postgresql_test_url() {
  return postgresql_test_state("url");
}

// A schema of its own, dropped with everything in it at scope exit. url() connects with it first
// on the search_path, so a journal opened with that URL creates and uses its tables there.
class postgresql_test_schema {
public:
  // A connection of its own each time: a test may cut connections or restart the server.
  postgresql_test_schema() {
    static std::atomic<int> next{0};
    name_ = "test_" + std::to_string(::getpid()) + "_" + std::to_string(next++);
    pqxx::connection admin(postgresql_test_url());
    pqxx::nontransaction(admin).exec0("DROP SCHEMA IF EXISTS " + name_ + " CASCADE; CREATE SCHEMA " + name_);
  }
  ~postgresql_test_schema() {
    try {
      pqxx::connection admin(postgresql_test_url());
      pqxx::nontransaction(admin).exec0("DROP SCHEMA IF EXISTS " + name_ + " CASCADE");
    } catch (...) {
    }
  }
  postgresql_test_schema(const postgresql_test_schema&) = delete;
  postgresql_test_schema& operator=(const postgresql_test_schema&) = delete;

  const std::string& name() const { return name_; }
  std::string url() const { return postgresql_url_with_schema(postgresql_test_url(), name_); }
  // A connection of the test's own (not the journal's), in this schema.
  pqxx::connection connect() const { return pqxx::connection(url()); }
  // Runs SQL in this schema and returns the first column of the first row as text ("" if none).
  std::string query(const std::string& sql) const {
    auto connection = connect();
    pqxx::nontransaction transaction(connection);
    auto rows = transaction.exec(sql);
    return rows.empty() || rows[0][0].is_null() ? std::string() : rows[0][0].as<std::string>();
  }

private:
  std::string name_;
};

} // namespace ledgerflow::testing
