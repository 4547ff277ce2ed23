// The account → actor table of one registry shard: open addressing with linear probing, the
// key's hash kept in the slot. Under load every transfer looks up two random accounts among
// thousands; std::unordered_map walks bucket → previous node → node (three cache misses),
// this walks slot → entry (two). Not thread-safe: the registry holds the shard's lock.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>

namespace ledgerflow {

struct registered_account {
  std::string account;
  caf::actor actor;
  uint64_t commands_routed = 0;
};

class account_slots {
public:
  account_slots();

  registered_account* find(uint64_t hash, const std::string& account);
  // The account must not be present.
  registered_account& insert(uint64_t hash, registered_account entry);
  void erase(uint64_t hash, const std::string& account);
  // Removes and returns every entry.
  std::vector<std::unique_ptr<registered_account>> take_all();
  size_t size() const { return size_; }

private:
  struct slot {
    uint64_t hash = 0;
    std::unique_ptr<registered_account> entry;  // empty slot when null
  };

  size_t home_of(uint64_t hash) const { return hash & (slots_.size() - 1); }
  void grow();

  std::vector<slot> slots_;  // a power of two, at most half full
  size_t size_ = 0;
};

} // namespace ledgerflow
