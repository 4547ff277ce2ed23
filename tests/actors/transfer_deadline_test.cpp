#include <doctest/doctest.h>

#include "tests/actors/ledger_fixture.hpp"
#include "tests/support/stalling_journal.hpp"

#include <future>
#include <thread>

using namespace ledgerflow;
using ledgerflow::testing::ledger_fixture;
using ledgerflow::testing::stalling_journal;

TEST_CASE_FIXTURE(ledger_fixture, "a transfer stuck past its deadline answers unavailable and holds its key") {
  config.command_timeout_ms = 100;
  std::shared_ptr<stalling_journal> stalling;
  wrap_store = [&](std::shared_ptr<sqlite_journal> inner) {
    stalling = std::make_shared<stalling_journal>(inner);
    return stalling;
  };
  start();
  stalling->stall();
  auto pending = std::async(std::launch::async, [this] {
    return transfer("stuck", "system:bank", "banking/USD", "user:zoe", "banking/USD", 300);
  });
  // The guard's sweep answers within the deadline plus one sweep interval.
  auto first = pending.get();
  REQUIRE_FALSE(first);
  CHECK(first.error().code == error_code::unavailable);
  // Its outcome is unknown, so a retry must not start a second transfer.
  auto retry = transfer("stuck", "system:bank", "banking/USD", "user:zoe", "banking/USD", 300);
  REQUIRE_FALSE(retry);
  CHECK(retry.error().code == error_code::unavailable);
  stalling->release();
  // Once durable, a retry gets the one receipt and the money moved once.
  outcome<transfer_receipt> settled = make_error(error_code::unavailable, "not yet");
  for (int attempt = 0; attempt < 100 && !settled; ++attempt) {
    settled = transfer("stuck", "system:bank", "banking/USD", "user:zoe", "banking/USD", 300);
    if (!settled)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE(settled);
  CHECK(available("user:zoe", "banking/USD") == 300);
  CHECK(store->last_seq("user:zoe") == 1);
}

TEST_CASE_FIXTURE(ledger_fixture, "a balance read never shows an entry before it is durable") {
  std::shared_ptr<stalling_journal> stalling;
  wrap_store = [&](std::shared_ptr<sqlite_journal> inner) {
    stalling = std::make_shared<stalling_journal>(inner);
    return stalling;
  };
  start();
  REQUIRE(transfer("first", "system:bank", "banking/USD", "user:zoe", "banking/USD", 100));
  stalling->stall();
  auto second = std::async(std::launch::async, [this] {
    return transfer("second", "system:bank", "banking/USD", "user:zoe", "banking/USD", 50);
  });
  // Reads keep arriving while the second transfer is applied in the actors but not on disk.
  std::vector<std::future<outcome<account_view>>> reads;
  for (int read = 0; read < 20; ++read) {
    auto answer = std::make_shared<std::promise<outcome<account_view>>>();
    reads.push_back(answer->get_future());
    ledger->get_account("user:zoe", [answer](outcome<account_view> view) { answer->set_value(std::move(view)); });
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  size_t answered_while_stalled = 0;
  for (auto& read : reads)
    if (read.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
      auto view = read.get();
      REQUIRE(view);
      CHECK(view->seq == 1);  // only the durable first transfer
      CHECK(view->balances.at(0).available == 100);
      ++answered_while_stalled;
    }
  stalling->release();
  REQUIRE(second.get());
  for (auto& read : reads) {
    if (!read.valid())
      continue;  // answered above
    REQUIRE(read.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
    auto view = read.get();
    REQUIRE(view);
    // Held back until durable, then answered as of the read: the second transfer, if the
    // read came after it reached the actor.
    CHECK((view->seq == 1 || view->seq == 2));
    CHECK(view->balances.at(0).available == (view->seq == 2 ? 150 : 100));
  }
  CHECK(available("user:zoe", "banking/USD") == 150);
  MESSAGE("reads answered while the journal was stalled: " << answered_while_stalled);
}
