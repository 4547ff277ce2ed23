// The registry's per-shard table against a std::map model: inserts, lookups and erasures in
// random order (backward-shift deletion must keep every other account reachable), colliding
// hashes, growth and draining.
#include "actors/account_slots.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

using namespace ledgerflow;

namespace {

uint64_t hash_of(const std::string& account) {
  return std::hash<std::string_view>{}(account);
}

// Every account of the model is found with its count, and none other.
void check_matches(account_slots& table, const std::map<std::string, uint64_t>& model,
                   const std::vector<std::string>& universe, uint64_t (*hash)(const std::string&)) {
  REQUIRE(table.size() == model.size());
  for (const auto& account : universe) {
    CAPTURE(account);
    auto* found = table.find(account, hash(account));
    auto expected = model.find(account);
    if (expected == model.end()) {
      CHECK(found == nullptr);
    } else {
      REQUIRE(found != nullptr);
      CHECK(found->commands_routed == expected->second);
    }
  }
}

void run_random_operations(uint64_t (*hash)(const std::string&)) {
  account_slots table;
  std::map<std::string, uint64_t> model;
  std::vector<std::string> universe;
  for (int index = 0; index < 400; ++index)
    universe.push_back("user:acct" + std::to_string(index));
  std::mt19937 random(7);
  for (int step = 0; step < 6'000; ++step) {
    const auto& account = universe[random() % universe.size()];
    auto* found = table.find(account, hash(account));
    REQUIRE((found != nullptr) == (model.count(account) == 1));
    if (found == nullptr) {
      table.insert(account, hash(account), caf::actor{}).commands_routed = step;
      model[account] = static_cast<uint64_t>(step);
    } else if (random() % 3 == 0) {
      table.erase(account, hash(account));
      model.erase(account);
    } else {
      found->commands_routed += 1;
      model[account] += 1;
    }
    if (step % 500 == 0)
      check_matches(table, model, universe, hash);
  }
  check_matches(table, model, universe, hash);
  size_t drained = 0;
  table.drain([&drained](caf::actor&) { ++drained; });
  CHECK(drained == model.size());
  CHECK(table.size() == 0);
  model.clear();
  check_matches(table, model, universe, hash);
}

} // namespace

TEST_CASE("account slots find, count and erase accounts in any order, as a map would") {
  run_random_operations(hash_of);
}

TEST_CASE("account slots keep accounts whose hashes collide reachable across erasures") {
  // Eight hash values for 400 accounts: long probe runs that wrap around the table's end, and
  // every erasure shifts colliding accounts back.
  run_random_operations([](const std::string& account) -> uint64_t { return hash_of(account) % 8; });
}

TEST_CASE("an erased account is gone, and erasing an absent one changes nothing") {
  account_slots table;
  table.insert("user:alice", hash_of("user:alice"), caf::actor{});
  table.insert("user:bob", hash_of("user:bob"), caf::actor{});
  table.erase("user:alice", hash_of("user:alice"));
  CHECK(table.find("user:alice", hash_of("user:alice")) == nullptr);
  table.erase("user:carol", hash_of("user:carol"));
  CHECK(table.size() == 1);
  CHECK(table.find("user:bob", hash_of("user:bob")) != nullptr);
}
