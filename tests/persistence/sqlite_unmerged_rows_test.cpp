// The rows the SQLite writer keeps for the next index merge: a merge takes every row at or
// below its positions, the later ones stay in order with their keys' texts intact.
#include "persistence/sqlite/sqlite_unmerged_rows.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace ledgerflow;

namespace {

const std::string alice = "user:alice";
const std::string bob = "user:bob";

sqlite_unmerged_rows three_of_each() {
  sqlite_unmerged_rows rows;
  rows.add_entry(alice, 1, 10);
  rows.add_entry(bob, 1, 11);
  rows.add_entry(alice, 2, 12);
  rows.add_key("key-one", 5);
  rows.add_key("a-much-longer-key-two", 6);
  rows.add_key("k3", 7);
  return rows;
}

std::vector<std::string> keys_of(const sqlite_unmerged_rows& rows) {
  std::vector<std::string> keys;
  for (const auto& row : rows.keys)
    keys.push_back(std::string(rows.key(row)) + "@" + std::to_string(row.pos));
  return keys;
}

std::vector<std::string> entries_of(const sqlite_unmerged_rows& rows) {
  std::vector<std::string> entries;
  for (const auto& row : rows.entries)
    entries.push_back(*row.account + "#" + std::to_string(row.seq) + "@" + std::to_string(row.pos));
  return entries;
}

} // namespace

TEST_CASE("a merge up to the ends takes every row and leaves none") {
  auto rows = three_of_each();
  auto taken = rows.take_through({12, 7});
  CHECK(entries_of(taken) == std::vector<std::string>{"user:alice#1@10", "user:bob#1@11", "user:alice#2@12"});
  CHECK(keys_of(taken) == std::vector<std::string>{"key-one@5", "a-much-longer-key-two@6", "k3@7"});
  CHECK(rows.entries.empty());
  CHECK(rows.keys.empty());
  CHECK(rows.key_text.empty());
  rows.add_key("after", 8);  // what comes next starts a fresh buffer
  CHECK(keys_of(rows) == std::vector<std::string>{"after@8"});
}

TEST_CASE("a capped merge takes a prefix of each log and the rest stay, texts intact") {
  auto rows = three_of_each();
  auto taken = rows.take_through({11, 5});
  CHECK(entries_of(taken) == std::vector<std::string>{"user:alice#1@10", "user:bob#1@11"});
  CHECK(keys_of(taken) == std::vector<std::string>{"key-one@5"});
  CHECK(entries_of(rows) == std::vector<std::string>{"user:alice#2@12"});
  CHECK(keys_of(rows) == std::vector<std::string>{"a-much-longer-key-two@6", "k3@7"});
  rows.add_key("k4", 8);
  auto rest = rows.take_through({12, 8});
  CHECK(keys_of(rest) == std::vector<std::string>{"a-much-longer-key-two@6", "k3@7", "k4@8"});
}

TEST_CASE("a merge of one log only leaves the other's rows") {
  auto rows = three_of_each();
  auto taken = rows.take_through({12, 4});
  CHECK(taken.entries.size() == 3);
  CHECK(taken.keys.empty());
  CHECK(keys_of(rows) == std::vector<std::string>{"key-one@5", "a-much-longer-key-two@6", "k3@7"});
}
