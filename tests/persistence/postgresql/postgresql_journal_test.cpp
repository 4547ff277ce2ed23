// The PostgreSQL journal: the shared conformance suite, unchanged, on a fresh schema per case of
// a real PostgreSQL 15 server, plus what only PostgreSQL has (the schema's constraints, refusing
// what a buggy writer might send; migrations; a server that goes away and comes back).
#include "persistence/postgresql/postgresql_journal.hpp"

#include <cstdlib>
#include <string>

#include <doctest/doctest.h>

#include "persistence/postgresql/postgresql_schema.hpp"
#include "tests/persistence/journal_conformance.hpp"
#include "tests/support/postgresql_test_database.hpp"

namespace ledgerflow::test {

struct postgresql_store {
  testing::postgresql_test_schema schema;
  std::unique_ptr<journal> open() { return postgresql_journal::open(schema.url()); }
};

// One read connection: reads queue for it while the writer appends on its own.
struct postgresql_store_one_reader {
  testing::postgresql_test_schema schema;
  std::unique_ptr<journal> open() {
    postgresql_options options;
    options.read_connections_max = 1;
    return postgresql_journal::open(schema.url(), options);
  }
};

} // namespace ledgerflow::test

TYPE_TO_STRING(ledgerflow::test::postgresql_store);
TYPE_TO_STRING(ledgerflow::test::postgresql_store_one_reader);
LEDGERFLOW_JOURNAL_CONFORMANCE(ledgerflow::test::postgresql_store);
LEDGERFLOW_JOURNAL_CONFORMANCE(ledgerflow::test::postgresql_store_one_reader);

using namespace ledgerflow;
using testing::postgresql_test_schema;

namespace {

// Runs one statement on a connection of its own and returns the SQLSTATE it failed with ("" when
// it succeeded).
std::string sqlstate_of(const postgresql_test_schema& schema, const std::string& sql) {
  auto connection = schema.connect();
  try {
    pqxx::nontransaction(connection).exec0(sql);
    return "";
  } catch (const pqxx::sql_error& failure) {
    return failure.sqlstate();
  }
}

std::string insert_entry_sql(const std::string& account, int seq) {
  return "INSERT INTO entries VALUES ('" + account + "', " + std::to_string(seq)
         + ", 1, 'banking/USD', 5, 5, 0, 'transfer', 't', '', '', '', 0)";
}

} // namespace

TEST_CASE("the postgresql journal records its schema version and migrates only once") {
  postgresql_test_schema schema;
  postgresql_journal::open(schema.url());
  CHECK(schema.query("SELECT version FROM schema_version") == std::to_string(postgresql_schema_version()));
  CHECK(schema.query("SELECT count(*) FROM schema_version") == "1");
  auto ledger = postgresql_journal::open(schema.url());  // a second open finds it up to date
  ledger->append(samples::batch_of(samples::entries("user:alice", 1, 2)));
  CHECK(ledger->last_seq("user:alice") == 2);
  CHECK(schema.query("SELECT count(*) FROM schema_version") == "1");
}

TEST_CASE("an up-to-date postgresql journal opens read-only, as check on a standby does") {
  postgresql_test_schema schema;
  postgresql_journal::open(schema.url())->append(samples::batch_of(samples::entries("user:alice", 1, 2)));
  // The options parameter is the URL's last: every statement of these sessions is read-only.
  auto ledger = postgresql_journal::open(schema.url() + "%20-cdefault_transaction_read_only%3Don");
  CHECK(ledger->read_entries("user:alice", 0, 10) == samples::entries("user:alice", 1, 2));
  CHECK(ledger->accounts() == std::vector<std::string>{"user:alice"});
  CHECK_THROWS_AS(ledger->append(samples::batch_of(samples::entries("user:alice", 3, 1))), journal_error);
}

TEST_CASE("a postgresql schema newer than this binary is refused") {
  postgresql_test_schema schema;
  postgresql_journal::open(schema.url());
  schema.query("UPDATE schema_version SET version = version + 1 RETURNING version");
  CHECK_THROWS_WITH_AS(postgresql_journal::open(schema.url()), doctest::Contains("newer than this binary"),
                       journal_error);
}

TEST_CASE("the postgresql schema itself refuses a gap, a duplicate and any change to an entry") {
  postgresql_test_schema schema;
  postgresql_journal::open(schema.url());
  CHECK(sqlstate_of(schema, insert_entry_sql("user:a", 1)).empty());
  CHECK(sqlstate_of(schema, insert_entry_sql("user:a", 3)) == "23503");  // gap
  CHECK(sqlstate_of(schema, insert_entry_sql("user:b", 2)) == "23503");  // a first entry must be 1
  CHECK(sqlstate_of(schema, insert_entry_sql("user:a", 1)) == "23505");  // duplicate
  CHECK(sqlstate_of(schema, insert_entry_sql("user:a", 0)) == "23514");  // out of range
  CHECK(sqlstate_of(schema, insert_entry_sql("user:a", 2)).empty());
  CHECK(sqlstate_of(schema, "UPDATE entries SET amount = 6") == "23001");
  CHECK(sqlstate_of(schema, "DELETE FROM entries WHERE seq = 2") == "23001");
  CHECK(sqlstate_of(schema, "TRUNCATE entries") == "23001");
  CHECK(schema.query("SELECT count(*) FROM entries") == "2");
}

TEST_CASE("a postgresql batch whose entries of one account are out of order is a conflict") {
  postgresql_test_schema schema;
  auto ledger = postgresql_journal::open(schema.url());
  auto swapped = samples::entries("user:alice", 2, 1);
  samples::add(swapped, samples::entries("user:alice", 1, 1));
  // The database alone would take both rows of one statement; the journal's rule is stricter.
  CHECK_THROWS_AS(ledger->append(samples::batch_of(swapped)), journal_conflict);
  CHECK(ledger->last_seq("user:alice") == 0);
  CHECK(ledger->healthy());
}

TEST_CASE("a postgresql journal that cannot connect names the URL without its password") {
  auto url = std::string("postgresql://ledger:s3cret@127.0.0.1:1/ledgerflow");  // port 1: nobody listens
  try {
    postgresql_journal::open(url);
    FAIL("open should have thrown");
  } catch (const journal_error& failure) {
    std::string message = failure.what();
    CHECK(message.find("postgresql://ledger:***@127.0.0.1:1/ledgerflow") != std::string::npos);
    CHECK(message.find("s3cret") == std::string::npos);
  }
}

TEST_CASE("postgresql reads survive lost connections; an append on a lost connection fails and is never reported done") {
  postgresql_test_schema schema;
  auto ledger = postgresql_journal::open(schema.url());
  ledger->append(samples::batch_of(samples::entries("user:alice", 1, 3)));
  CHECK(ledger->last_seq("user:alice") == 3);
  // Every connection of the journal is cut by the server, as a failover would.
  CHECK(schema.query("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                     " WHERE application_name LIKE 'ledgerflow%'") != "0");
  CHECK(ledger->read_entries("user:alice", 0, 10) == samples::entries("user:alice", 1, 3));  // reconnected
  CHECK_THROWS_AS(ledger->append(samples::batch_of(samples::entries("user:alice", 4, 1))), journal_error);
  CHECK_FALSE(ledger->healthy());  // fail-stop: the node must restart and recover
  // What a restarted node finds: the failed batch is not there, the rest is.
  auto reopened = postgresql_journal::open(schema.url());
  CHECK(reopened->last_seq("user:alice") == 3);
  CHECK(reopened->healthy());
}

TEST_CASE("a postgresql journal keeps reading across a server restart") {
  postgresql_test_schema schema;
  auto ledger = postgresql_journal::open(schema.url());
  ledger->append(samples::batch_of(samples::entries("user:alice", 1, 2)));
  REQUIRE(testing::postgresql_test_server("restart") == 0);
  CHECK(ledger->last_seq("user:alice") == 2);
  CHECK(ledger->accounts() == std::vector<std::string>{"user:alice"});
  auto reopened = postgresql_journal::open(schema.url());
  reopened->append(samples::batch_of(samples::entries("user:alice", 3, 1)));
  CHECK(reopened->last_seq("user:alice") == 3);
}
