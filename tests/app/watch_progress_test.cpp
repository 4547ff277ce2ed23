#include <doctest/doctest.h>

#include "app/watch_progress.hpp"

using namespace ledgerflow;
using nlohmann::json;

namespace {

json balance(const std::string& account, uint64_t seq) {
  return {{"type", "balance"}, {"account", account}, {"bucket", "banking/USD"}, {"available", "1.00"},
          {"held", "0.00"}, {"seq", seq}, {"cause", {{"kind", "transfer"}, {"id", "t"}}}};
}

json subscribed(const std::string& id, const std::string& account, uint64_t seq) {
  return {{"type", "subscribed"}, {"id", id}, {"accounts", json::array({{{"account", account}, {"seq", seq}}})}};
}

} // namespace

TEST_CASE("the first subscribe asks for a snapshot, or for a replay with --since-seq") {
  watch_progress fresh({"user:alice", "user:bob"}, std::nullopt);
  CHECK(fresh.subscribe_op("watch-1") ==
        json{{"op", "subscribe"}, {"id", "watch-1"},
             {"accounts", json::array({{{"account", "user:alice"}}, {{"account", "user:bob"}}})}});
  watch_progress resumed({"user:alice"}, 0);
  CHECK(resumed.subscribe_op("watch-1")["accounts"] == json::array({{{"account", "user:alice"}, {"since_seq", 0}}}));
}

TEST_CASE("an account named twice is subscribed once") {
  watch_progress progress({"user:alice", "user:bob", "user:alice"}, std::nullopt);
  CHECK(progress.subscribe_op("watch-1")["accounts"].size() == 2);
}

TEST_CASE("a reconnection resumes each account after the last seq it printed") {
  watch_progress progress({"user:alice", "user:bob"}, std::nullopt);
  CHECK(progress.take(subscribed("watch-1", "user:alice", 4)));
  CHECK(progress.take(balance("user:alice", 5)));
  CHECK(progress.take(balance("user:alice", 6)));
  auto accounts = progress.subscribe_op("watch-2")["accounts"];
  CHECK(accounts[0] == json{{"account", "user:alice"}, {"since_seq", 6}});
  CHECK(accounts[1] == json{{"account", "user:bob"}}); // never answered: a snapshot again
  CHECK(progress.balance_events_taken() == 2);
}

TEST_CASE("a balance event at or below the printed seq is not printed twice") {
  watch_progress progress({"user:alice"}, 2);
  CHECK(progress.take(subscribed("watch-1", "user:alice", 2)));
  CHECK_FALSE(progress.take(balance("user:alice", 2)));
  CHECK(progress.take(balance("user:alice", 3)));
  CHECK_FALSE(progress.take(balance("user:alice", 3)));
  CHECK(progress.take(balance("user:alice", 9))); // a coalesced jump is fine
  CHECK(progress.balance_events_taken() == 2);
  CHECK(progress.last_seq("user:alice") == 9u);
}

TEST_CASE("a subscribed answer never moves an account back") {
  watch_progress progress({"user:alice"}, std::nullopt);
  progress.take(balance("user:alice", 7));
  progress.take(subscribed("watch-2", "user:alice", 3));
  CHECK(progress.last_seq("user:alice") == 7u);
}

TEST_CASE("messages of other shapes are printed and change nothing") {
  watch_progress progress({"user:alice"}, std::nullopt);
  CHECK(progress.take(json{{"type", "error"}, {"id", "watch-1"}, {"code", "forbidden"}, {"message", "no"}}));
  CHECK(progress.take(json{{"type", "balance"}, {"account", 5}, {"seq", "x"}}));
  CHECK(progress.take(json::array({1, 2})));
  CHECK(progress.take(subscribed("watch-1", "user:mallory", 4))); // not ours: not tracked
  CHECK_FALSE(progress.last_seq("user:mallory"));
  CHECK_FALSE(progress.last_seq("user:alice"));
}

TEST_CASE("only rate_limited and unavailable answers to a subscribe are worth retrying") {
  CHECK(subscribe_error_is_transient("rate_limited"));
  CHECK(subscribe_error_is_transient("unavailable"));
  CHECK_FALSE(subscribe_error_is_transient("forbidden"));
  CHECK_FALSE(subscribe_error_is_transient("bad_request"));
  CHECK_FALSE(subscribe_error_is_transient("too_many_subscriptions"));
}
