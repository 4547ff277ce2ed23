// SQLite keeps no leases: a fenced batch is refused rather than written unchecked.
#include <doctest/doctest.h>

#include "persistence/sqlite/sqlite_journal.hpp"
#include "tests/persistence/journal_samples.hpp"
#include "tests/support/temp_directory.hpp"

using namespace ledgerflow;

TEST_CASE("the sqlite journal refuses a fenced batch and writes nothing of it") {
  testing::temp_directory directory;
  std::unique_ptr<journal> ledger = sqlite_journal::open(directory.file("journal.db"));
  auto batch = samples::batch_of(samples::entries("user:alice", 1, 1));
  CHECK_THROWS_AS(ledger->append_fenced(batch, journal_fence{"accounts/0", 1}), journal_error);
  CHECK(ledger->last_seq("user:alice") == 0);
  ledger->append(batch);
  CHECK(ledger->last_seq("user:alice") == 1);
}
