// The account registry's table within one shard: account id -> its actor and how many commands
// were routed to it. Open addressing with linear probing, each slot one cache line holding the
// id's hash, the id itself (short ids sit inside the string) and the value, so a lookup costs
// about one cache miss. std::unordered_map cost three dependent misses a lookup (bucket, the
// node before the bucket's first, the node): with 10,000 accounts routed to at random, 8.9% of
// the scheduler threads' time was in its find (perf, bench ledger, 2026-12-02).
//
// Memory: at most 70% of the slots are used, and the table doubles when that is passed, so an
// account takes ~90-180 bytes. It never shrinks; passivated accounts leave free slots behind.
// Not thread-safe: the registry holds the shard's lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <caf/actor.hpp>

namespace ledgerflow {

class account_slots {
public:
  struct routed_actor {
    caf::actor actor;
    uint64_t commands_routed = 0;
  };

  // The account's actor, or null. `hash` is std::hash<std::string_view> of `account`.
  routed_actor* find(std::string_view account, uint64_t hash);
  // Adds an account that is not in the table.
  routed_actor& insert(std::string_view account, uint64_t hash, caf::actor actor);
  // Removes the account if it is in the table. Pointers into the table are invalid after.
  void erase(std::string_view account, uint64_t hash);
  // Empties the table, handing each actor to `visit`.
  template <class Visit>
  void drain(Visit visit) {
    for (auto& slot : slots_)
      if (slot.used) {
        visit(slot.value.actor);
        slot = slot_type{};
      }
    size_ = 0;
  }
  size_t size() const { return size_; }

private:
  struct alignas(64) slot_type {
    uint64_t hash = 0;
    routed_actor value;
    std::string account;
    bool used = false;
  };

  // Fibonacci hashing: the registry picks the shard by the hash's low bits, so the slot must
  // depend on the others too.
  size_t home_of(uint64_t hash) const {
    return static_cast<size_t>((hash * 0x9e3779b97f4a7c15ull) >> 32) & (slots_.size() - 1);
  }
  size_t index_of(std::string_view account, uint64_t hash) const;
  void grow();

  std::vector<slot_type> slots_;  // a power of two in size
  size_t size_ = 0;
};

} // namespace ledgerflow
