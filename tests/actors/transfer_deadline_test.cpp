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
