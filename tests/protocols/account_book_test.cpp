#include <doctest/doctest.h>

#include "protocols/account_book.hpp"

using namespace ledgerflow;

namespace {
const entry_cause test_cause{"transfer", "t1"};
const counterparty outside{"system:bank", "banking/USD"};
} // namespace

TEST_CASE("a credit then a debit number entries densely and record balances") {
  account_book book("user:alice");
  auto credited = book.credit("banking/USD", 1000, test_cause, outside, 1);
  REQUIRE(credited);
  CHECK(credited->seq == 1);
  CHECK(credited->available_after == 1000);
  auto debited = book.debit("banking/USD", 300, test_cause, outside, 2);
  REQUIRE(debited);
  CHECK(debited->seq == 2);
  CHECK(debited->available_after == 700);
  CHECK(book.seq() == 2);
}

TEST_CASE("a user bucket may not go below zero, a system bucket may") {
  account_book user("user:bob");
  auto refused = user.debit("banking/USD", 1, test_cause, outside, 1);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == error_code::insufficient_funds);
  CHECK(user.seq() == 0);
  account_book system("system:bank");
  CHECK(system.debit("banking/USD", 1, test_cause, outside, 1));
  CHECK(system.balance("banking/USD").available == -1);
}

TEST_CASE("a hold beyond the available balance is rejected") {
  account_book book("user:carol");
  REQUIRE(book.credit("banking/USD", 100, test_cause, outside, 1));
  auto refused = book.hold("banking/USD", 101, "h1", test_cause, 2);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == error_code::insufficient_funds);
  CHECK(book.balance("banking/USD").held == 0);
}

TEST_CASE("a partial post captures part of a hold and releases the rest") {
  account_book book("user:dave");
  REQUIRE(book.credit("banking/USD", 1000, test_cause, outside, 1));
  REQUIRE(book.hold("banking/USD", 600, "h1", test_cause, 2));
  CHECK(book.balance("banking/USD").available == 400);
  CHECK(book.balance("banking/USD").held == 600);
  auto posted = book.post("h1", 250, test_cause, outside, 3);
  REQUIRE(posted);
  REQUIRE(posted->size() == 2);
  CHECK((*posted)[0].kind == entry_kind::post);
  CHECK((*posted)[1].kind == entry_kind::release);
  CHECK((*posted)[1].amount == 350);
  CHECK(book.balance("banking/USD").available == 750);
  CHECK(book.balance("banking/USD").held == 0);
  CHECK_FALSE(book.release("h1", test_cause, 4));
}

TEST_CASE("a move between buckets of one account is one group of two entries") {
  account_book book("user:erin");
  REQUIRE(book.credit("banking/USD", 500, test_cause, outside, 1));
  auto moved = book.move("banking/USD", "investing/USD", 200, test_cause, 2);
  REQUIRE(moved);
  REQUIRE(moved->size() == 2);
  CHECK(book.balance("banking/USD").available == 300);
  CHECK(book.balance("investing/USD").available == 200);
  auto refused = book.move("banking/USD", "investing/USD", 301, test_cause, 3);
  REQUIRE_FALSE(refused);
  CHECK(book.seq() == 3);
}

TEST_CASE("replaying the entries rebuilds the same book, a snapshot resumes it") {
  account_book book("user:frank");
  std::vector<journal_entry> entries;
  entries.push_back(*book.credit("banking/USD", 900, test_cause, outside, 1));
  entries.push_back(*book.hold("banking/USD", 400, "h9", test_cause, 2));
  auto posted = *book.post("h9", 400, test_cause, outside, 3);
  entries.insert(entries.end(), posted.begin(), posted.end());
  account_book replayed("user:frank");
  for (const auto& entry : entries)
    REQUIRE(replayed.replay(entry));
  CHECK(replayed.snapshot() == book.snapshot());
  auto resumed = account_book::from_snapshot(book.snapshot());
  REQUIRE(resumed);
  CHECK(resumed->snapshot() == book.snapshot());
}

TEST_CASE("replay rejects a gap in the sequence and a forged balance") {
  account_book book("user:gina");
  auto first = *book.credit("banking/USD", 100, test_cause, outside, 1);
  auto second = *book.credit("banking/USD", 100, test_cause, outside, 2);
  account_book gap("user:gina");
  CHECK_FALSE(gap.replay(second));
  account_book forged("user:gina");
  first.available_after = 999;
  CHECK_FALSE(forged.replay(first));
}

TEST_CASE("posting a hold within the account is post, release of the rest and credit, and replays") {
  account_book book("user:dora");
  REQUIRE(book.credit("banking/USD", 1000, test_cause, outside, 1));
  REQUIRE(book.hold("banking/USD", 600, "h1", test_cause, 2));
  REQUIRE(book.find_hold("h1") != nullptr);
  CHECK(book.find_hold("h1")->amount == 600);
  auto entries = book.post_within("h1", 450, "investing/USD", test_cause, 3);
  REQUIRE(entries);
  REQUIRE(entries->size() == 3);
  CHECK((*entries)[0].kind == entry_kind::post);
  CHECK((*entries)[1].kind == entry_kind::release);
  CHECK((*entries)[1].amount == 150);
  CHECK((*entries)[2].kind == entry_kind::credit);
  CHECK((*entries)[2].counterparty_bucket == "banking/USD");
  CHECK(book.find_hold("h1") == nullptr);
  CHECK(book.balance("banking/USD").available == 550);
  CHECK(book.balance("banking/USD").held == 0);
  CHECK(book.balance("investing/USD").available == 450);
  // The same entries replayed into a fresh book give the same state.
  account_book replayed("user:dora");
  REQUIRE(replayed.credit("banking/USD", 1000, test_cause, outside, 1));
  REQUIRE(replayed.hold("banking/USD", 600, "h1", test_cause, 2));
  for (const auto& entry : *entries)
    REQUIRE(replayed.replay(entry));
  CHECK(replayed.snapshot() == book.snapshot());
}

TEST_CASE("posting a hold within the account refuses its own bucket, an unknown hold and too much") {
  account_book book("user:eve");
  REQUIRE(book.credit("banking/USD", 100, test_cause, outside, 1));
  REQUIRE(book.hold("banking/USD", 100, "h1", test_cause, 2));
  auto own_bucket = book.post_within("h1", 10, "banking/USD", test_cause, 3);
  REQUIRE_FALSE(own_bucket);
  CHECK(own_bucket.error().code == error_code::bad_request);
  auto unknown = book.post_within("nope", 10, "investing/USD", test_cause, 3);
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code == error_code::not_found);
  auto too_much = book.post_within("h1", 101, "investing/USD", test_cause, 3);
  REQUIRE_FALSE(too_much);
  CHECK(too_much.error().code == error_code::amount_invalid);
  // Nothing was applied by the refusals.
  CHECK(book.seq() == 2);
  CHECK(book.balance("banking/USD").held == 100);
  CHECK(book.find_hold("h1") != nullptr);
}
