// The saga log's part of the journal conformance suite (journal.hpp: append_batch::saga_records,
// find_saga, list_sagas, unfinished_sagas, saga_counts). LEDGERFLOW_JOURNAL_CONFORMANCE
// instantiates these with the rest; the same fixture contract applies.
#pragma once

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include <doctest/doctest.h>

#include "persistence/journal.hpp"
#include "tests/persistence/journal_samples.hpp"

namespace ledgerflow::conformance {

inline append_batch saga_batch(std::vector<saga_record> records) {
  append_batch batch;
  batch.saga_records = std::move(records);
  return batch;
}

inline std::vector<std::string> saga_ids(const std::vector<saga_record>& records) {
  std::vector<std::string> ids;
  for (const auto& record : records)
    ids.push_back(record.id);
  return ids;
}

inline std::vector<std::string> sorted(std::vector<std::string> values) {
  std::sort(values.begin(), values.end());
  return values;
}

inline std::vector<std::tuple<std::string, std::string, uint64_t>> sorted_counts(journal& store) {
  std::vector<std::tuple<std::string, std::string, uint64_t>> counts;
  for (const auto& count : store.saga_counts())
    counts.emplace_back(count.type, count.state, count.count);
  std::sort(counts.begin(), counts.end());
  return counts;
}

} // namespace ledgerflow::conformance

TEST_CASE_TEMPLATE_DEFINE("a saga record reads back equal, field by field, also after reopening", store_type,
                          journal_saga_round_trip) {
  using namespace ledgerflow;
  store_type store;
  auto record = samples::saga("sg_0001", 1);
  {
    auto ledger = store.open();
    CHECK_FALSE(ledger->find_saga("sg_0001"));
    ledger->append(conformance::saga_batch({record}));
    REQUIRE(ledger->find_saga("sg_0001"));
    CHECK(*ledger->find_saga("sg_0001") == record);
    CHECK_FALSE(ledger->find_saga("sg_0002"));
  }
  auto ledger = store.open();
  REQUIRE(ledger->find_saga("sg_0001"));
  CHECK(*ledger->find_saga("sg_0001") == record);
}

TEST_CASE_TEMPLATE_DEFINE("a saga record replaces the stored one only with a higher version", store_type,
                          journal_saga_versions) {
  using namespace ledgerflow;
  store_type store;
  auto ledger = store.open();
  ledger->append(conformance::saga_batch({samples::saga("sg_a", 2, "running")}));

  ledger->append(conformance::saga_batch({samples::saga("sg_a", 1, "failed")}));  // older: ignored
  CHECK(*ledger->find_saga("sg_a") == samples::saga("sg_a", 2, "running"));
  auto same_version = samples::saga("sg_a", 2, "compensating");  // equal: ignored too
  same_version.document = "{}";
  ledger->append(conformance::saga_batch({same_version}));
  CHECK(*ledger->find_saga("sg_a") == samples::saga("sg_a", 2, "running"));

  auto newer = samples::saga("sg_a", 3, "completed");  // higher: replaces every field
  newer.updated_us += 77;
  ledger->append(conformance::saga_batch({newer}));
  CHECK(*ledger->find_saga("sg_a") == newer);
  CHECK(ledger->healthy());
}

TEST_CASE_TEMPLATE_DEFINE("of one saga's records in one batch the highest version is stored", store_type,
                          journal_saga_versions_in_batch) {
  using namespace ledgerflow;
  store_type store;
  auto ledger = store.open();
  ledger->append(conformance::saga_batch({samples::saga("sg_a", 2), samples::saga("sg_b", 1),
                                          samples::saga("sg_a", 5, "waiting"), samples::saga("sg_a", 3),
                                          samples::saga("sg_b", 2, "paused")}));
  CHECK(*ledger->find_saga("sg_a") == samples::saga("sg_a", 5, "waiting"));
  CHECK(*ledger->find_saga("sg_b") == samples::saga("sg_b", 2, "paused"));
  // A later batch whose records are all older than the stored one changes nothing.
  ledger->append(conformance::saga_batch({samples::saga("sg_a", 4), samples::saga("sg_a", 1)}));
  CHECK(*ledger->find_saga("sg_a") == samples::saga("sg_a", 5, "waiting"));
}

TEST_CASE_TEMPLATE_DEFINE("saga records commit with the batch's entries or not at all", store_type,
                          journal_saga_atomic) {
  using namespace ledgerflow;
  store_type store;
  auto ledger = store.open();
  auto first = samples::batch_of(samples::entries("user:alice", 1, 2));
  first.saga_records = {samples::saga("sg_kept", 1)};
  ledger->append(first);
  REQUIRE(ledger->find_saga("sg_kept"));

  // alice's seq 4 after 2 is a gap: neither the new saga nor the kept one's update is written.
  auto bad = samples::batch_of(samples::entries("user:alice", 4, 1));
  bad.saga_records = {samples::saga("sg_new", 1), samples::saga("sg_kept", 2, "completed")};
  CHECK_THROWS_AS(ledger->append(bad), journal_conflict);
  CHECK_FALSE(ledger->find_saga("sg_new"));
  CHECK(*ledger->find_saga("sg_kept") == samples::saga("sg_kept", 1));
  CHECK(conformance::saga_ids(ledger->unfinished_sagas()) == std::vector<std::string>{"sg_kept"});

  // The same records with the right seq go in together.
  bad.entries = samples::entries("user:alice", 3, 1);
  ledger->append(bad);
  CHECK(ledger->find_saga("sg_new"));
  CHECK(*ledger->find_saga("sg_kept") == samples::saga("sg_kept", 2, "completed"));
  CHECK(ledger->last_seq("user:alice") == 3);
  CHECK(ledger->healthy());
}

TEST_CASE_TEMPLATE_DEFINE("list_sagas filters by state, type and account, newest first, at most limit", store_type,
                          journal_saga_list) {
  using namespace ledgerflow;
  store_type store;
  auto ledger = store.open();
  const std::string invest = "deposit_to_invest";
  const std::string defi = "invest_to_defi";
  // created_us: sg_1 oldest ... sg_6 newest; sg_4 and sg_5 tie (then by id).
  ledger->append(conformance::saga_batch({
    samples::saga("sg_1", 1, "completed", invest, "user:alice", 100),
    samples::saga("sg_2", 1, "running", defi, "user:bob", 200),
    samples::saga("sg_3", 1, "running", invest, "user:bob", 300),
    samples::saga("sg_5", 1, "failed", defi, "user:alice", 400),
    samples::saga("sg_4", 1, "running", invest, "user:alice", 400),
    samples::saga("sg_6", 1, "completed", invest, "user:bob", 500),
  }));
  auto list = [&](std::string state, std::string type, std::string account, size_t limit = 100) {
    return conformance::saga_ids(ledger->list_sagas(saga_filter{state, type, account, limit}));
  };
  using ids = std::vector<std::string>;
  CHECK(list("", "", "") == ids{"sg_6", "sg_4", "sg_5", "sg_3", "sg_2", "sg_1"});
  CHECK(list("", "", "", 3) == ids{"sg_6", "sg_4", "sg_5"});
  CHECK(list("", "", "", 0).empty());
  CHECK(list("running", "", "") == ids{"sg_4", "sg_3", "sg_2"});
  CHECK(list("", defi, "") == ids{"sg_5", "sg_2"});
  CHECK(list("", "", "user:alice") == ids{"sg_4", "sg_5", "sg_1"});
  CHECK(list("running", invest, "") == ids{"sg_4", "sg_3"});
  CHECK(list("running", "", "user:bob") == ids{"sg_3", "sg_2"});
  CHECK(list("", invest, "user:bob") == ids{"sg_6", "sg_3"});
  CHECK(list("completed", invest, "user:bob") == ids{"sg_6"});
  CHECK(list("running", "", "user:bob", 1) == ids{"sg_3"});
  CHECK(list("paused", "", "").empty());
  CHECK(list("", "", "user:carol").empty());
  // The records come back whole, and a newer version moves a saga between states.
  auto all = ledger->list_sagas(saga_filter{});
  REQUIRE(all.size() == 6);
  CHECK(all[0] == samples::saga("sg_6", 1, "completed", invest, "user:bob", 500));
  ledger->append(conformance::saga_batch({samples::saga("sg_3", 2, "completed", invest, "user:bob", 300)}));
  CHECK(list("running", "", "") == ids{"sg_4", "sg_2"});
  CHECK(list("completed", "", "") == ids{"sg_6", "sg_3", "sg_1"});
}

TEST_CASE_TEMPLATE_DEFINE("unfinished_sagas returns exactly the sagas not in a terminal state", store_type,
                          journal_saga_unfinished) {
  using namespace ledgerflow;
  store_type store;
  auto ledger = store.open();
  CHECK(ledger->unfinished_sagas().empty());
  std::vector<saga_record> records;
  for (const char* state : {"running", "waiting", "paused", "compensating", "completed", "compensated", "failed"})
    records.push_back(samples::saga(std::string("sg_") + state, 1, state));
  ledger->append(conformance::saga_batch(records));
  auto unfinished = ledger->unfinished_sagas();
  CHECK(conformance::sorted(conformance::saga_ids(unfinished))
        == std::vector<std::string>{"sg_compensating", "sg_paused", "sg_running", "sg_waiting"});
  for (const auto& record : unfinished)
    CHECK(record == samples::saga(record.id, 1, record.state));
  // Finishing one takes it out; a later version of a finished one would bring it back.
  ledger->append(conformance::saga_batch({samples::saga("sg_running", 2, "completed"),
                                          samples::saga("sg_failed", 2, "compensating")}));
  CHECK(conformance::sorted(conformance::saga_ids(ledger->unfinished_sagas()))
        == std::vector<std::string>{"sg_compensating", "sg_failed", "sg_paused", "sg_waiting"});
}

TEST_CASE_TEMPLATE_DEFINE("saga_counts counts the sagas of each type in each state", store_type,
                          journal_saga_counts) {
  using namespace ledgerflow;
  store_type store;
  auto ledger = store.open();
  CHECK(ledger->saga_counts().empty());
  ledger->append(conformance::saga_batch({
    samples::saga("sg_1", 1, "running", "deposit_to_invest"),
    samples::saga("sg_2", 1, "running", "deposit_to_invest"),
    samples::saga("sg_3", 1, "completed", "deposit_to_invest"),
    samples::saga("sg_4", 1, "running", "invest_to_defi"),
    samples::saga("sg_1", 2, "completed", "deposit_to_invest"),  // one saga counts once, as its newest
  }));
  using counts = std::vector<std::tuple<std::string, std::string, uint64_t>>;
  CHECK(conformance::sorted_counts(*ledger)
        == counts{{"deposit_to_invest", "completed", 2}, {"deposit_to_invest", "running", 1},
                  {"invest_to_defi", "running", 1}});
}

TEST_CASE_TEMPLATE_DEFINE("scan_saga_ids visits every saga's id once", store_type, journal_saga_ids) {
  using namespace ledgerflow;
  store_type store;
  auto ledger = store.open();
  std::vector<std::string> ids;
  ledger->scan_saga_ids([&](const std::string& id) { ids.push_back(id); });
  CHECK(ids.empty());
  ledger->append(conformance::saga_batch({
    samples::saga("sg_1", 1, "running", "deposit_to_invest"),
    samples::saga("sg_2", 1, "completed", "invest_to_defi"),
    samples::saga("sg_1", 2, "completed", "deposit_to_invest"),
  }));
  ledger->append(conformance::saga_batch({samples::saga("sg_3", 1, "failed", "deposit_to_invest")}));
  ledger->scan_saga_ids([&](const std::string& id) { ids.push_back(id); });
  std::sort(ids.begin(), ids.end());
  CHECK(ids == std::vector<std::string>{"sg_1", "sg_2", "sg_3"});
}

// Instantiates the saga log's cases for one store fixture type.
#define LEDGERFLOW_SAGA_LOG_CONFORMANCE(store_type)                      \
  TEST_CASE_TEMPLATE_INVOKE(journal_saga_round_trip, store_type);        \
  TEST_CASE_TEMPLATE_INVOKE(journal_saga_versions, store_type);          \
  TEST_CASE_TEMPLATE_INVOKE(journal_saga_versions_in_batch, store_type); \
  TEST_CASE_TEMPLATE_INVOKE(journal_saga_atomic, store_type);            \
  TEST_CASE_TEMPLATE_INVOKE(journal_saga_list, store_type);              \
  TEST_CASE_TEMPLATE_INVOKE(journal_saga_unfinished, store_type);        \
  TEST_CASE_TEMPLATE_INVOKE(journal_saga_counts, store_type);            \
  TEST_CASE_TEMPLATE_INVOKE(journal_saga_ids, store_type)
