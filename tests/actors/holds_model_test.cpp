// Random sequences of transfers, holds, releases and posts on a real SQLite ledger, checked
// after every step against a small independent model (available and held per account, the
// open holds), with restarts in between: the ledger must agree with the model exactly,
// refuse exactly what the model refuses, and pass `check` at the end.
#include <doctest/doctest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "persistence/ledger_check.hpp"
#include "tests/actors/ledger_fixture.hpp"

using namespace ledgerflow;
using ledgerflow::testing::ledger_fixture;

namespace {

constexpr const char* usd = "banking/USD";
const std::vector<std::string> users{"user:m0", "user:m1", "user:m2", "user:m3"};

struct model_hold {
  std::string account;
  minor_units amount = 0;
};

// What the ledger should hold: user accounts only (the bank may go negative).
struct ledger_model {
  std::map<std::string, minor_units> available;
  std::map<std::string, minor_units> held;
  std::map<std::string, model_hold> open_holds;  // by hold id
};

struct model_run {
  ledger_fixture& ledger;
  ledger_model model;
  std::mt19937_64 random;
  int next_key = 0;

  std::string key() { return "model-" + std::to_string(++next_key); }

  // The ledger took the request exactly when the model says it may, and otherwise refused it
  // for `why`. Returns whether it was taken.
  static bool taken_when(bool allowed, const outcome<transfer_receipt>& result, error_code why) {
    REQUIRE(static_cast<bool>(result) == allowed);
    if (!allowed)
      CHECK(result.error().code == why);
    return allowed;
  }
  const std::string& any_user() { return users[random() % users.size()]; }
  minor_units any_amount() { return static_cast<minor_units>(1 + random() % 3'000); }

  void fund(const std::string& user, minor_units amount) {
    REQUIRE(ledger.transfer(key(), "system:bank", usd, user, usd, amount));
    model.available[user] += amount;
  }

  void transfer() {
    auto& from = any_user();
    auto& to = any_user();
    if (from == to)
      return;
    auto amount = any_amount();
    auto result = ledger.transfer(key(), from, usd, to, usd, amount);
    if (!taken_when(model.available[from] >= amount, result, error_code::insufficient_funds))
      return;
    model.available[from] -= amount;
    model.available[to] += amount;
  }

  void hold() {
    auto& user = any_user();
    auto amount = any_amount();
    auto result = ledger.hold(key(), user, usd, amount);
    if (!taken_when(model.available[user] >= amount, result, error_code::insufficient_funds))
      return;
    model.available[user] -= amount;
    model.held[user] += amount;
    model.open_holds[result->transfer_id] = model_hold{user, amount};
  }

  std::map<std::string, model_hold>::iterator any_open_hold() {
    auto found = model.open_holds.begin();
    std::advance(found, static_cast<long>(random() % model.open_holds.size()));
    return found;
  }

  void release() {
    if (model.open_holds.empty())
      return;
    auto found = any_open_hold();
    auto result = ledger.release(key(), found->second.account, found->first);
    REQUIRE(result);
    CHECK(result->amount == found->second.amount);
    model.held[found->second.account] -= found->second.amount;
    model.available[found->second.account] += found->second.amount;
    model.open_holds.erase(found);
  }

  void post() {
    if (model.open_holds.empty())
      return;
    auto found = any_open_hold();
    auto holder = found->second.account;
    auto& to = any_user();
    // Sometimes more than the hold: refused, and the hold stays open.
    auto amount = static_cast<minor_units>(1 + random() % static_cast<uint64_t>(found->second.amount + 200));
    auto result = to == holder ? ledger.post(key(), holder, found->first, holder, "investing/USD", amount)
                               : ledger.post(key(), holder, found->first, to, usd, amount);
    if (!taken_when(amount <= found->second.amount, result, error_code::amount_invalid))
      return;
    model.held[holder] -= found->second.amount;
    model.available[holder] += found->second.amount - amount;  // the rest is released
    if (to != holder)
      model.available[to] += amount;  // a post to the holder lands in investing/USD
    model.open_holds.erase(found);
  }

  void agree() {
    for (const auto& user : users) {
      auto balance = ledger.balance(user, usd);
      CHECK_MESSAGE(balance.available == model.available[user], user);
      CHECK_MESSAGE(balance.held == model.held[user], user);
    }
  }
};

} // namespace

TEST_CASE_FIXTURE(ledger_fixture, "random transfers, holds, releases and posts agree with a model across restarts") {
  config.snapshot_every_entries = 7;  // rebuilds go through snapshots and tails
  start();
  for (uint64_t seed : {1u, 2u, 3u}) {
    CAPTURE(seed);
    model_run run{*this, {}, std::mt19937_64(seed), static_cast<int>(seed) * 100'000};
    for (const auto& user : users)
      run.fund(user, 5'000);
    for (int step = 0; step < 120; ++step) {
      switch (run.random() % 4) {
        case 0: run.transfer(); break;
        case 1: run.hold(); break;
        case 2: run.release(); break;
        default: run.post(); break;
      }
      if (step % 40 == 39) {
        run.agree();
        restart();
      }
    }
    run.agree();
    // Settle what is still open, so the next seed starts from known balances.
    while (!run.model.open_holds.empty())
      run.release();
    run.agree();
    for (const auto& user : users) {
      auto left = run.model.available[user];
      auto investing = balance(user, "investing/USD").available;
      if (left > 0)
        REQUIRE(transfer(run.key(), user, usd, "system:bank", usd, left));
      if (investing > 0)
        REQUIRE(transfer(run.key(), user, "investing/USD", "system:bank", usd, investing));
    }
  }
  CHECK(check_ledger(*store, asset_registry::defaults()).ok());
}
