// The balance-update hub on a real ledger: a subscriber gets every entry of every batch
// committed after it subscribed, each already readable from the journal when it arrives, and
// nothing once it has unsubscribed.
#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>

#include "actors/message_types.hpp"
#include "tests/actors/ledger_fixture.hpp"

using namespace ledgerflow;
using ledgerflow::testing::ledger_fixture;

namespace {

constexpr const char* usd = "banking/USD";
constexpr const char* bank = "system:bank";

// What one subscriber was sent, and which entries the journal did not hold yet on arrival.
struct observed {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<journal_entry> published;
  std::vector<std::string> not_yet_durable;

  // Waits (for as long as a stuck ledger could take, not a timing check) for `count` entries.
  bool wait_for(size_t count) {
    std::unique_lock<std::mutex> lock(mutex);
    return changed.wait_for(lock, std::chrono::seconds(20), [&] { return published.size() >= count; });
  }
  size_t count() {
    std::lock_guard<std::mutex> lock(mutex);
    return published.size();
  }
};

caf::behavior recording_subscriber(caf::event_based_actor*, std::shared_ptr<observed> seen,
                                   std::shared_ptr<journal> store) {
  return {
    [seen, store](publish_atom, const durable_entries& entries) {
      std::lock_guard<std::mutex> lock(seen->mutex);
      for (const auto& entry : entries->entries) {
        auto stored = store->read_entries(entry.account, entry.seq - 1, 1);
        if (stored.size() != 1 || !(stored.front() == entry))
          seen->not_yet_durable.push_back(entry.account + " seq " + std::to_string(entry.seq));
        seen->published.push_back(entry);
      }
      seen->changed.notify_all();
    },
  };
}

struct subscription {
  std::shared_ptr<observed> seen = std::make_shared<observed>();
  caf::actor subscriber;

  subscription() = default;
  subscription(subscription&&) = default;
  ~subscription() {
    if (subscriber)
      caf::anon_send_exit(subscriber, caf::exit_reason::user_shutdown);
  }
};

subscription subscribe(ledger_fixture& fixture) {
  subscription made;
  made.subscriber = fixture.system->spawn(recording_subscriber, made.seen, std::shared_ptr<journal>(fixture.store));
  caf::anon_send(fixture.ledger->hub(), subscribe_atom::value, made.subscriber);
  return made;
}

} // namespace

TEST_CASE_FIXTURE(ledger_fixture, "a subscriber gets every entry once it is durable, in each account's order") {
  start();
  auto first = subscribe(*this);
  REQUIRE(transfer("fund", bank, usd, "user:alice", usd, 1'000));
  REQUIRE(transfer("pay", "user:alice", usd, "user:bob", usd, 300));
  REQUIRE(transfer("move", "user:bob", usd, "user:bob", "investing/USD", 100));
  REQUIRE(first.seen->wait_for(6));
  std::lock_guard<std::mutex> lock(first.seen->mutex);
  CHECK(first.seen->not_yet_durable.empty());
  std::vector<std::string> order;
  for (const auto& entry : first.seen->published)
    if (entry.account == "user:bob")
      order.push_back(std::to_string(entry.seq) + " " + entry.bucket);
  CHECK(order == std::vector<std::string>{"1 banking/USD", "2 banking/USD", "3 investing/USD"});
  CHECK(first.seen->published.size() == 6);
}

TEST_CASE_FIXTURE(ledger_fixture, "an unsubscribed actor gets nothing more, while the others still do") {
  start();
  auto first = subscribe(*this);
  REQUIRE(transfer("fund", bank, usd, "user:carol", usd, 500));
  REQUIRE(first.seen->wait_for(2));
  caf::anon_send(ledger->hub(), unsubscribe_atom::value, first.subscriber);
  // Sent after the unsubscription from this thread, so the hub takes it after that.
  auto second = subscribe(*this);
  REQUIRE(transfer("again", bank, usd, "user:carol", usd, 200));
  REQUIRE(second.seen->wait_for(2));
  CHECK(first.seen->count() == 2);
  CHECK(second.seen->count() == 2);
}
