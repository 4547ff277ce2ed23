// The PostgreSQL saga log beyond the shared suite: a schema from the release before it gains
// the table by migration 2.
#include "persistence/postgresql/postgresql_journal.hpp"

#include <string>

#include <doctest/doctest.h>

#include "persistence/postgresql/postgresql_schema.hpp"
#include "tests/persistence/journal_samples.hpp"
#include "tests/support/postgresql_test_database.hpp"

using namespace ledgerflow;
using testing::postgresql_test_schema;

TEST_CASE("a version 1 postgresql schema (the release before the saga log) keeps its data and gains the saga log") {
  postgresql_test_schema schema;
  auto entries = samples::entries("user:alice", 1, 3);
  postgresql_journal::open(schema.url())->append(samples::batch_of(entries));
  // What release 1 left: the same tables without `sagas`, at version 1.
  schema.query("DROP TABLE sagas");
  schema.query("UPDATE schema_version SET version = 1 RETURNING version");
  REQUIRE(schema.query("SELECT to_regclass('sagas') IS NULL") == "t");

  auto ledger = postgresql_journal::open(schema.url());
  CHECK(schema.query("SELECT version FROM schema_version") == std::to_string(postgresql_schema_version()));
  CHECK(ledger->read_entries("user:alice", 0, 10) == entries);
  CHECK(ledger->saga_counts().empty());
  auto batch = samples::batch_of(samples::entries("user:alice", 4, 1));
  batch.saga_records = {samples::saga("sg_1", 1)};
  ledger->append(batch);
  CHECK(*ledger->find_saga("sg_1") == samples::saga("sg_1", 1));
  CHECK(ledger->unfinished_sagas().size() == 1);
}
