#include <doctest/doctest.h>

#include <map>
#include <random>
#include <string>

#include "actors/account_slots.hpp"

using namespace ledgerflow;

namespace {

registered_account entry_for(const std::string& account, uint64_t routed) {
  return registered_account{account, caf::actor{}, routed};
}

} // namespace

TEST_CASE("account slots find what was inserted and nothing else") {
  account_slots slots;
  for (uint64_t index = 0; index < 1000; ++index)
    slots.insert(index * 2654435761u, entry_for("user:" + std::to_string(index), index));
  CHECK(slots.size() == 1000);
  for (uint64_t index = 0; index < 1000; ++index) {
    auto* found = slots.find(index * 2654435761u, "user:" + std::to_string(index));
    REQUIRE(found);
    CHECK(found->commands_routed == index);
  }
  CHECK_FALSE(slots.find(7 * 2654435761u, "user:8"));  // right hash, other key
  CHECK_FALSE(slots.find(12345, "user:missing"));
}

// Hashes from a tiny range make long probe runs that wrap around the end of the table, so
// erasing from the middle of a run exercises the backward shift.
TEST_CASE("account slots agree with a map through random inserts and erases under heavy collisions") {
  account_slots slots;
  std::map<std::string, uint64_t> model;
  std::mt19937_64 random(42);
  auto hash_of = [](const std::string& account) { return std::hash<std::string>{}(account) % 7 + 60; };
  for (int step = 0; step < 20000; ++step) {
    auto account = "user:" + std::to_string(random() % 300);
    auto hash = hash_of(account);
    auto in_model = model.find(account);
    if (in_model == model.end()) {
      REQUIRE_FALSE(slots.find(hash, account));
      slots.insert(hash, entry_for(account, static_cast<uint64_t>(step)));
      model.emplace(account, static_cast<uint64_t>(step));
    } else if (random() % 2 == 0) {
      slots.erase(hash, account);
      model.erase(in_model);
    } else {
      auto* found = slots.find(hash, account);
      REQUIRE(found);
      CHECK(found->commands_routed == in_model->second);
    }
    REQUIRE(slots.size() == model.size());
  }
  for (const auto& [account, routed] : model) {
    auto* found = slots.find(hash_of(account), account);
    REQUIRE(found);
    CHECK(found->commands_routed == routed);
  }
  auto all = slots.take_all();
  CHECK(all.size() == model.size());
  CHECK(slots.size() == 0);
  CHECK_FALSE(slots.find(hash_of(model.begin()->first), model.begin()->first));
}

TEST_CASE("erasing an account that is not there changes nothing") {
  account_slots slots;
  slots.insert(5, entry_for("user:a", 1));
  slots.insert(5, entry_for("user:b", 2));
  slots.erase(5, "user:c");
  slots.erase(6, "user:a");
  CHECK(slots.size() == 2);
  CHECK(slots.find(5, "user:a"));
  CHECK(slots.find(5, "user:b"));
}
