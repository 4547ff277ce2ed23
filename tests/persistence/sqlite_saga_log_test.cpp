// The SQLite saga log beyond the shared suite: a file from the release before it gains the
// table, and every list_sagas filter and unfinished_sagas read through an index, in order.
#include "persistence/sqlite/sqlite_journal.hpp"

#include <string>

#include <doctest/doctest.h>
#include <sqlite3.h>

#include "persistence/saga_log_sql.hpp"
#include "persistence/sqlite/sqlite_schema.hpp"
#include "tests/persistence/journal_samples.hpp"
#include "tests/persistence/sqlite_file_access.hpp"

using namespace ledgerflow;
using test::temp_directory;

namespace {

// Every line of SQLite's plan for `sql`, one a line.
std::string query_plan(const std::filesystem::path& path, const std::string& sql) {
  sqlite3* db = test::open_with_index(path);
  sqlite3_stmt* statement = nullptr;
  auto explain = "EXPLAIN QUERY PLAN " + sql;
  REQUIRE(sqlite3_prepare_v2(db, explain.c_str(), -1, &statement, nullptr) == SQLITE_OK);
  std::string plan;
  while (sqlite3_step(statement) == SQLITE_ROW)
    plan += std::string(reinterpret_cast<const char*>(sqlite3_column_text(statement, 3))) + "\n";
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return plan;
}

} // namespace

TEST_CASE("a version 3 file (the release before the saga log) opens, keeps its data and gains the saga log") {
  temp_directory directory;
  auto path = directory.path() / "journal.db";
  auto entries = samples::entries("user:alice", 1, 3);
  sqlite_journal::open(path.string())->append(samples::batch_of(entries));
  // What release 3 left: the same tables without `sagas`, at user_version 3.
  test::tamper(path, "DROP TABLE sagas; PRAGMA user_version = 3");
  REQUIRE(test::query_text(path, "SELECT count(*) FROM sqlite_schema WHERE name = 'sagas'") == "0");

  auto ledger = sqlite_journal::open(path.string());
  CHECK(test::query_text(path, "PRAGMA user_version") == std::to_string(sqlite_schema_version()));
  CHECK(ledger->read_entries("user:alice", 0, 10) == entries);
  CHECK(ledger->unfinished_sagas().empty());
  auto batch = samples::batch_of(samples::entries("user:alice", 4, 1));
  batch.saga_records = {samples::saga("sg_1", 1)};
  ledger->append(batch);
  CHECK(*ledger->find_saga("sg_1") == samples::saga("sg_1", 1));
  CHECK(ledger->last_seq("user:alice") == 4);
}

TEST_CASE("every list_sagas filter and unfinished_sagas read an index in order, never the whole table") {
  temp_directory directory;
  auto path = directory.path() / "journal.db";
  sqlite_journal::open(path.string());
  for (size_t shape = 0; shape < saga_filter_shapes; ++shape) {
    auto plan = query_plan(path, saga_list_sql(shape, '?', shape & 4 ? " INDEXED BY sagas_by_account" : ""));
    INFO("shape " << shape << ":\n" << plan);
    CHECK(plan.find(shape & 4 ? "USING INDEX sagas_by_account" : "USING INDEX sagas_by_") != std::string::npos);
    CHECK(plan.find("TEMP B-TREE") == std::string::npos);  // no sort: the index is in list order
  }
  auto unfinished = std::string("SELECT ") + saga_columns + " FROM sagas INDEXED BY sagas_unfinished WHERE "
                    + saga_unfinished_condition;
  CHECK(query_plan(path, unfinished).find("USING INDEX sagas_unfinished") != std::string::npos);
}
