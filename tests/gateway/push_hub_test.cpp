#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <thread>
#include <string>
#include <vector>

#include "gateway/ws/push_hub.hpp"

using namespace ledgerflow;
using namespace ledgerflow::ws;

namespace {

struct collecting_subscriber final : push_subscriber {
  std::vector<push_event_ptr> events;
  size_t flushes = 0;
  bool want_flush = false;
  std::shared_ptr<push_subscriber> self;  // what deliver hands back when it wants a flush

  std::shared_ptr<push_subscriber> deliver(const push_event_ptr& event) override {
    events.push_back(event);
    return want_flush ? self : nullptr;
  }
  void flush_pushed() override { ++flushes; }
};

void run_round(push_hub& hub, durable_entries batch) {
  hub.run_round({push_hub::stamped_batch{std::move(batch), 1'767'225'600'000'000}});
}

journal_entry entry_of(const std::string& account, uint64_t seq, minor_units available) {
  journal_entry entry;
  entry.account = account;
  entry.seq = seq;
  entry.kind = entry_kind::credit;
  entry.bucket = "banking/USD";
  entry.amount = 100;
  entry.available_after = available;
  entry.cause_kind = "transfer";
  entry.cause_id = "tr_1";
  entry.timestamp_us = 1'767'225'600'000'000;
  return entry;
}

durable_entries batch_of(std::vector<journal_entry> entries) {
  return std::make_shared<const durable_batch>(durable_batch{std::move(entries), 0});
}

} // namespace

TEST_CASE("the hub hands each subscriber its accounts' entries, in order, and nothing after remove") {
  auto assets = asset_registry::defaults();
  push_hub hub(assets);
  collecting_subscriber alice_watcher, bob_watcher;
  hub.add("user:alice", &alice_watcher);
  hub.add("user:bob", &bob_watcher);
  run_round(hub, batch_of({entry_of("user:alice", 1, 100), entry_of("user:bob", 1, 50), entry_of("user:alice", 2, 200)}));
  REQUIRE(alice_watcher.events.size() == 2);
  CHECK(alice_watcher.events[0]->entry().seq == 1);
  CHECK(alice_watcher.events[1]->entry().seq == 2);
  REQUIRE(bob_watcher.events.size() == 1);
  CHECK(hub.events_published() == 3);
  hub.remove("user:alice", &alice_watcher);
  run_round(hub, batch_of({entry_of("user:alice", 3, 300)}));
  CHECK(alice_watcher.events.size() == 2);
  CHECK(hub.events_published() == 3);  // nobody listened: nothing encoded or counted
}

TEST_CASE("an update is encoded once and its bytes are shared by every subscriber") {
  auto assets = asset_registry::defaults();
  push_hub hub(assets);
  collecting_subscriber first, second;
  hub.add("user:alice", &first);
  hub.add("user:alice", &second);
  run_round(hub, batch_of({entry_of("user:alice", 1, 12345)}));
  REQUIRE(first.events.size() == 1);
  REQUIRE(second.events.size() == 1);
  CHECK(first.events[0].get() == second.events[0].get());
  const auto& frame = first.events[0]->frame(frame_format::json, false);
  CHECK(&frame == &second.events[0]->frame(frame_format::json, false));
  CHECK(frame.find("\"available\":\"123.45\"") != std::string::npos);
  CHECK(frame.find("\"coalesced\"") == std::string::npos);
  CHECK(first.events[0]->frame(frame_format::json, true).find("\"coalesced\":true") != std::string::npos);
  CHECK(static_cast<uint8_t>(first.events[0]->frame(frame_format::msgpack, false)[0]) == 0x82);  // binary frame
  CHECK(hub.deliveries() == 2);
}

TEST_CASE("a subscriber that asks for a flush gets one after the round, however many updates it got") {
  auto assets = asset_registry::defaults();
  push_hub hub(assets);
  auto watcher = std::make_shared<collecting_subscriber>();
  watcher->self = watcher;
  watcher->want_flush = true;
  hub.add("user:alice", watcher.get());
  run_round(hub, batch_of({entry_of("user:alice", 1, 1), entry_of("user:alice", 2, 2)}));
  CHECK(watcher->events.size() == 2);
  CHECK(watcher->flushes == 2);  // it asked twice here; a session asks once a round
  CHECK(hub.rounds() == 1);
  hub.remove("user:alice", watcher.get());
  watcher->self.reset();
}

TEST_CASE("published batches reach subscribers through the hub's thread, in order") {
  auto assets = asset_registry::defaults();
  push_hub hub(assets);
  collecting_subscriber watcher;
  hub.add("user:alice", &watcher);
  for (uint64_t seq = 1; seq <= 50; ++seq)
    hub.publish(batch_of({entry_of("user:alice", seq, static_cast<minor_units>(seq))}));
  for (int wait = 0; wait < 500 && hub.deliveries() < 50; ++wait)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  hub.close();  // joins the thread: what it delivered is visible now
  REQUIRE(watcher.events.size() == 50);
  for (uint64_t seq = 1; seq <= 50; ++seq)
    CHECK(watcher.events[seq - 1]->entry().seq == seq);
  CHECK(watcher.events[0]->durable_us() > 0);
}

TEST_CASE("after close the hub delivers nothing") {
  auto assets = asset_registry::defaults();
  push_hub hub(assets);
  collecting_subscriber watcher;
  hub.add("user:alice", &watcher);
  hub.close();
  run_round(hub, batch_of({entry_of("user:alice", 1, 1)}));
  CHECK(watcher.events.empty());
}
