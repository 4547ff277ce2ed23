// The journal writer with the saga log's requests: a batch of saga records only, with no
// durable cursor, is written and its requester told (durable_atom, token).
#include "actors/journal_writer.hpp"

#include <chrono>
#include <memory>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <doctest/doctest.h>

#include "actors/message_types.hpp"
#include "tests/persistence/journal_samples.hpp"
#include "tests/support/memory_journal.hpp"

using namespace ledgerflow;

TEST_CASE("a write request of saga records only, without a cursor, is written and its requester told the token") {
  caf::actor_system_config config;
  caf::actor_system system{config};
  auto store = std::make_shared<testing::memory_journal>();
  auto writer = spawn_journal_writer(system, store, caf::actor{}, {}, std::make_shared<ledger_metrics>(), {});
  caf::scoped_actor self{system};

  append_batch batch;
  batch.saga_records = {samples::saga("sg_1", 1), samples::saga("sg_1", 2, "waiting")};
  self->send(writer, append_atom::value,
             write_request{std::move(batch), nullptr, 7, std::nullopt, caf::actor_cast<caf::actor>(self)});
  uint64_t told = 0;
  self->receive([&](durable_atom, uint64_t token) { told = token; },
                caf::after(std::chrono::seconds(10)) >> [] { FAIL("no durable notice within 10 s"); });
  CHECK(told == 7);
  REQUIRE(store->find_saga("sg_1"));
  CHECK(*store->find_saga("sg_1") == samples::saga("sg_1", 2, "waiting"));
  self->send_exit(writer, caf::exit_reason::user_shutdown);
}
