// Leases and fencing on PostgreSQL, with two nodes (two lease clients and two journals, each on
// its own connections) sharing one database: once a lease has been taken over, the database
// refuses every batch fenced with the old epoch.
#include "persistence/postgresql/postgresql_leases.hpp"

#include <chrono>
#include <thread>

#include <doctest/doctest.h>

#include "persistence/postgresql/postgresql_journal.hpp"
#include "tests/persistence/journal_samples.hpp"
#include "tests/support/postgresql_test_database.hpp"

using namespace ledgerflow;
using namespace std::chrono_literals;
using testing::postgresql_test_schema;

namespace {

// Two nodes on one database: each its own lease client and journal.
struct two_nodes {
  postgresql_test_schema schema;
  postgresql_leases leases_a{schema.url()};
  postgresql_leases leases_b{schema.url()};
  std::unique_ptr<postgresql_journal> journal_a = postgresql_journal::open(schema.url());
  std::unique_ptr<postgresql_journal> journal_b = postgresql_journal::open(schema.url());
};

} // namespace

TEST_CASE("a lease is granted to one holder at a time, and a takeover raises its epoch") {
  two_nodes nodes;
  auto a = nodes.leases_a.acquire("accounts/0", "node-a", 60s);
  REQUIRE(a);
  CHECK(a->epoch == 1);
  CHECK(a->holder == "node-a");
  CHECK_FALSE(nodes.leases_b.acquire("accounts/0", "node-b", 60s));  // still node-a's
  auto again = nodes.leases_a.acquire("accounts/0", "node-a", 60s);  // the holder again: no takeover
  REQUIRE(again);
  CHECK(again->epoch == 1);
  auto renewed = nodes.leases_a.renew(*a, 60s);
  REQUIRE(renewed);
  CHECK(renewed->epoch == 1);

  CHECK(nodes.leases_a.release(*a));
  auto b = nodes.leases_b.acquire("accounts/0", "node-b", 60s);
  REQUIRE(b);
  CHECK(b->epoch == 2);
  CHECK_FALSE(nodes.leases_a.renew(*a, 60s));  // taken over: node-a learns it lost the lease
  CHECK_FALSE(nodes.leases_a.release(*a));
  REQUIRE(nodes.leases_a.current("accounts/0"));
  CHECK(nodes.leases_a.current("accounts/0")->holder == "node-b");
  CHECK_FALSE(nodes.leases_a.current("accounts/1"));
}

TEST_CASE("an expired lease may be taken over by another holder") {
  two_nodes nodes;
  auto a = nodes.leases_a.acquire("accounts/0", "node-a", 1ms);
  REQUIRE(a);
  std::this_thread::sleep_for(50ms);  // expired by the server's clock
  auto b = nodes.leases_b.acquire("accounts/0", "node-b", 60s);
  REQUIRE(b);
  CHECK(b->epoch == a->epoch + 1);
}

TEST_CASE("the database refuses a batch fenced with an epoch that was taken over") {
  two_nodes nodes;
  auto a = nodes.leases_a.acquire("accounts/0", "node-a", 60s);
  REQUIRE(a);
  nodes.journal_a->append_fenced(samples::batch_of(samples::entries("user:alice", 1, 2)), a->fence());
  CHECK(nodes.journal_b->last_seq("user:alice") == 2);

  REQUIRE(nodes.leases_a.release(*a));  // or node-a stalls and its lease expires
  auto b = nodes.leases_b.acquire("accounts/0", "node-b", 60s);
  REQUIRE(b);

  // node-a, not knowing yet, writes on with its old epoch: refused, and nothing of it lands.
  auto stale = samples::batch_of(samples::entries("user:alice", 3, 1));
  stale.idempotency_records = {samples::record("k-stale")};
  stale.opened_legs = {samples::leg("t-stale")};
  CHECK_THROWS_AS(nodes.journal_a->append_fenced(stale, a->fence()), journal_fenced);
  CHECK(nodes.journal_b->last_seq("user:alice") == 2);
  CHECK_FALSE(nodes.journal_b->find_idempotency("k-stale"));
  CHECK(nodes.journal_b->inflight_legs().empty());
  CHECK(nodes.journal_a->healthy());  // the store is fine; the node lost its lease

  nodes.journal_b->append_fenced(samples::batch_of(samples::entries("user:alice", 3, 1)), b->fence());
  CHECK(nodes.journal_a->last_seq("user:alice") == 3);
  // An unfenced batch is not checked (single-node use); a fence naming no lease is refused.
  nodes.journal_a->append(samples::batch_of(samples::entries("user:bob", 1, 1)));
  CHECK_THROWS_AS(nodes.journal_a->append_fenced(samples::batch_of(samples::entries("user:bob", 2, 1)),
                                                 journal_fence{"accounts/9", 1}),
                  journal_fenced);
  CHECK(nodes.journal_a->last_seq("user:bob") == 1);
}

TEST_CASE("a takeover cannot slip in while a fenced batch is in flight") {
  two_nodes nodes;
  auto a = nodes.leases_a.acquire("accounts/0", "node-a", 60s);
  REQUIRE(a);
  // node-a's batch is open: its fence check ran, and it has written an entry.
  auto connection = nodes.schema.connect();
  pqxx::work in_flight(connection);
  in_flight.exec_params1("SELECT ledgerflow_check_fence($1, $2)", a->name, static_cast<int64_t>(a->epoch));
  in_flight.exec0("INSERT INTO entries VALUES ('user:alice', 1, 1, 'banking/USD', 5, 5, 0, 'transfer', 't', '', '', '', 0)");

  // A takeover now must wait for that batch: it cannot move the epoch under it.
  auto other = nodes.schema.connect();
  pqxx::nontransaction takeover(other);
  takeover.exec0("SET lock_timeout = '200ms'");
  std::string state;
  try {
    takeover.exec_params0("UPDATE leases SET holder = 'node-b', epoch = epoch + 1 WHERE name = $1", a->name);
  } catch (const pqxx::sql_error& failure) {
    state = failure.sqlstate();
  }
  CHECK(state == "55P03");  // lock_not_available: it waited on the batch's lock on the lease row

  in_flight.commit();
  REQUIRE(nodes.leases_a.release(*a));
  auto b = nodes.leases_b.acquire("accounts/0", "node-b", 60s);
  REQUIRE(b);
  CHECK(b->epoch == 2);
  CHECK(nodes.journal_b->last_seq("user:alice") == 1);
  CHECK_THROWS_AS(nodes.journal_a->append_fenced(samples::batch_of(samples::entries("user:alice", 2, 1)), a->fence()),
                  journal_fenced);
}
