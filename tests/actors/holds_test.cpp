#include <doctest/doctest.h>

#include "persistence/ledger_check.hpp"
#include "tests/actors/ledger_fixture.hpp"

using namespace ledgerflow;
using ledgerflow::testing::ledger_fixture;

namespace {
constexpr const char* usd = "banking/USD";
constexpr const char* invest_usd = "investing/USD";
constexpr const char* bank = "system:bank";
constexpr const char* exchange = "system:exchange";

void fund(ledger_fixture& ledger, const std::string& account, minor_units amount) {
  REQUIRE(ledger.transfer("fund-" + account, bank, usd, account, usd, amount));
}
} // namespace

TEST_CASE_FIXTURE(ledger_fixture, "a hold moves money from available to held and answers when durable") {
  start();
  fund(*this, "user:alice", 10'000);
  auto held = hold("h1", "user:alice", usd, 2'500);
  REQUIRE(held);
  CHECK(held->transfer_id.rfind("hd_", 0) == 0);
  CHECK(held->from_seq == 2);
  CHECK(held->to_seq == 2);
  CHECK(held->asset_code == "USD");
  CHECK(available("user:alice", usd) == 7'500);
  CHECK(this->held("user:alice", usd) == 2'500);
  auto entries = store->read_entries("user:alice", 1, 10);
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].kind == entry_kind::hold);
  CHECK(entries[0].hold_id == held->transfer_id);
}

TEST_CASE_FIXTURE(ledger_fixture, "a hold beyond the available balance is refused and writes nothing") {
  start();
  fund(*this, "user:bob", 1'000);
  auto refused = hold("too-much", "user:bob", usd, 1'001);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == error_code::insufficient_funds);
  CHECK(store->last_seq("user:bob") == 1);
  // Held money cannot be spent twice: a transfer sees only what is still available.
  REQUIRE(hold("half", "user:bob", usd, 600));
  auto spend = transfer("spend", "user:bob", usd, "user:carol", usd, 401);
  REQUIRE_FALSE(spend);
  CHECK(spend.error().code == error_code::insufficient_funds);
}

TEST_CASE_FIXTURE(ledger_fixture, "releasing a hold gives the money back and the hold cannot be used again") {
  start();
  fund(*this, "user:dave", 5'000);
  auto held = hold("h", "user:dave", usd, 3'000);
  REQUIRE(held);
  auto released = release("r", "user:dave", held->transfer_id);
  REQUIRE(released);
  CHECK(released->transfer_id == held->transfer_id);
  CHECK(released->amount == 3'000);
  CHECK(available("user:dave", usd) == 5'000);
  CHECK(this->held("user:dave", usd) == 0);
  auto again = release("r2", "user:dave", held->transfer_id);
  REQUIRE_FALSE(again);
  CHECK(again.error().code == error_code::not_found);
  auto posted = post("p", "user:dave", held->transfer_id, exchange, usd, 1);
  REQUIRE_FALSE(posted);
  CHECK(posted.error().code == error_code::not_found);
}

TEST_CASE_FIXTURE(ledger_fixture, "posting part of a hold pays the other account and releases the rest") {
  start();
  fund(*this, "user:erin", 10'000);
  auto held = hold("h", "user:erin", usd, 4'000);
  REQUIRE(held);
  auto posted = post("p", "user:erin", held->transfer_id, exchange, usd, 3'000);
  REQUIRE(posted);
  CHECK(posted->from_account == "user:erin");
  CHECK(posted->to_account == exchange);
  CHECK(posted->amount == 3'000);
  CHECK(available("user:erin", usd) == 7'000);
  CHECK(this->held("user:erin", usd) == 0);
  CHECK(available(exchange, usd) == 3'000);
  auto entries = store->read_entries("user:erin", 2, 10);
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].kind == entry_kind::post);
  CHECK(entries[0].cause_id == posted->transfer_id);
  CHECK(entries[1].kind == entry_kind::release);
  CHECK(entries[1].amount == 1'000);
  CHECK(check_ledger(*store, asset_registry::defaults()).ok());
}

TEST_CASE_FIXTURE(ledger_fixture, "a hold posted to another bucket of the same account is one atomic group") {
  start();
  fund(*this, "user:fay", 2'000);
  auto held = hold("h", "user:fay", usd, 2'000);
  REQUIRE(held);
  auto posted = post("p", "user:fay", held->transfer_id, "user:fay", invest_usd, 2'000);
  REQUIRE(posted);
  CHECK(posted->to_seq == posted->from_seq + 1);
  CHECK(available("user:fay", usd) == 0);
  CHECK(available("user:fay", invest_usd) == 2'000);
  auto same_bucket = hold("h2", "user:fay", invest_usd, 10);
  REQUIRE(same_bucket);
  auto refused = post("p2", "user:fay", same_bucket->transfer_id, "user:fay", invest_usd, 10);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == error_code::bad_request);
  CHECK(check_ledger(*store, asset_registry::defaults()).ok());
}

TEST_CASE_FIXTURE(ledger_fixture, "a post is refused when it exceeds the hold or names another asset") {
  start();
  fund(*this, "user:gus", 1'000);
  auto held = hold("h", "user:gus", usd, 500);
  REQUIRE(held);
  auto too_much = post("p1", "user:gus", held->transfer_id, exchange, usd, 501);
  REQUIRE_FALSE(too_much);
  CHECK(too_much.error().code == error_code::amount_invalid);
  auto other_asset = post("p2", "user:gus", held->transfer_id, exchange, "banking/EUR", 100);
  REQUIRE_FALSE(other_asset);
  CHECK(other_asset.error().code == error_code::bad_request);
  CHECK(this->held("user:gus", usd) == 500);
  CHECK(store->last_seq("user:gus") == 2);
}

TEST_CASE_FIXTURE(ledger_fixture, "hold, release and post keys are idempotent across a restart") {
  start();
  fund(*this, "user:hal", 9'000);
  auto held = hold("hold-key", "user:hal", usd, 3'000);
  auto posted = held ? post("post-key", "user:hal", held->transfer_id, exchange, usd, 1'000) : held;
  REQUIRE(posted);
  restart();
  auto held_again = hold("hold-key", "user:hal", usd, 3'000);
  REQUIRE(held_again);
  CHECK(held_again->transfer_id == held->transfer_id);
  auto posted_again = post("post-key", "user:hal", held->transfer_id, exchange, usd, 1'000);
  REQUIRE(posted_again);
  CHECK(posted_again->transfer_id == posted->transfer_id);
  CHECK(available(exchange, usd) == 1'000);
  CHECK(available("user:hal", usd) == 8'000);
  // The same key for another operation or payload is a mismatch, not a second hold.
  auto reused = hold("post-key", "user:hal", usd, 1'000);
  REQUIRE_FALSE(reused);
  CHECK(reused.error().code == error_code::idempotency_mismatch);
  auto other_amount = hold("hold-key", "user:hal", usd, 3'001);
  REQUIRE_FALSE(other_amount);
  CHECK(other_amount.error().code == error_code::idempotency_mismatch);
}

TEST_CASE_FIXTURE(ledger_fixture, "an open hold survives a restart and can be posted afterwards") {
  config.snapshot_every_entries = 2;  // the hold lives in a snapshot, not only in the tail
  start();
  fund(*this, "user:ida", 5'000);
  auto held = hold("h", "user:ida", usd, 5'000);
  REQUIRE(held);
  REQUIRE(transfer("fund-more", bank, usd, "user:ida", usd, 1));
  restart();
  CHECK(this->held("user:ida", usd) == 5'000);
  REQUIRE(post("p", "user:ida", held->transfer_id, exchange, usd, 5'000));
  CHECK(this->held("user:ida", usd) == 0);
  CHECK(check_ledger(*store, asset_registry::defaults()).ok());
}

TEST_CASE_FIXTURE(ledger_fixture, "malformed hold requests are refused before reaching an account") {
  start();
  auto bad_amount = hold("k1", "user:jo", usd, 0);
  REQUIRE_FALSE(bad_amount);
  CHECK(bad_amount.error().code == error_code::amount_invalid);
  auto bad_bucket = hold("k2", "user:jo", "banking/XYZ", 1);
  REQUIRE_FALSE(bad_bucket);
  CHECK(bad_bucket.error().code == error_code::unknown_asset);
  auto bad_key = release("", "user:jo", "hd_x");
  REQUIRE_FALSE(bad_key);
  CHECK(bad_key.error().code == error_code::bad_request);
  auto bad_account = post("k3", "nobody", "hd_x", exchange, usd, 1);
  REQUIRE_FALSE(bad_account);
  CHECK(bad_account.error().code == error_code::account_invalid);
  CHECK(store->last_seq("user:jo") == 0);
}
