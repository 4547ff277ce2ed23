#include "actors/account_slots.hpp"

namespace ledgerflow {

account_slots::account_slots() : slots_(64) {}

registered_account* account_slots::find(uint64_t hash, const std::string& account) {
  for (auto index = home_of(hash);; index = (index + 1) & (slots_.size() - 1)) {
    auto& candidate = slots_[index];
    if (!candidate.entry)
      return nullptr;
    if (candidate.hash == hash && candidate.entry->account == account)
      return candidate.entry.get();
  }
}

registered_account& account_slots::insert(uint64_t hash, registered_account entry) {
  if ((size_ + 1) * 2 > slots_.size())
    grow();
  auto index = home_of(hash);
  while (slots_[index].entry)
    index = (index + 1) & (slots_.size() - 1);
  slots_[index].hash = hash;
  slots_[index].entry = std::make_unique<registered_account>(std::move(entry));
  ++size_;
  return *slots_[index].entry;
}

// Backward-shift deletion: later members of the probe run move up into the hole, so a find
// never stops early at it and no tombstones accumulate.
void account_slots::erase(uint64_t hash, const std::string& account) {
  auto mask = slots_.size() - 1;
  auto hole = home_of(hash);
  for (;; hole = (hole + 1) & mask) {
    if (!slots_[hole].entry)
      return;
    if (slots_[hole].hash == hash && slots_[hole].entry->account == account)
      break;
  }
  slots_[hole].entry.reset();
  --size_;
  for (auto next = (hole + 1) & mask; slots_[next].entry; next = (next + 1) & mask) {
    auto home = home_of(slots_[next].hash);
    // The entry at `next` may fill the hole only if its home is not in (hole, next].
    bool home_after_hole = hole <= next ? (home > hole && home <= next) : (home > hole || home <= next);
    if (home_after_hole)
      continue;
    slots_[hole] = std::move(slots_[next]);
    hole = next;
  }
}

std::vector<std::unique_ptr<registered_account>> account_slots::take_all() {
  std::vector<std::unique_ptr<registered_account>> all;
  all.reserve(size_);
  for (auto& each : slots_)
    if (each.entry)
      all.push_back(std::move(each.entry));
  size_ = 0;
  return all;
}

void account_slots::grow() {
  std::vector<slot> old(slots_.size() * 2);
  old.swap(slots_);
  for (auto& each : old) {
    if (!each.entry)
      continue;
    auto index = home_of(each.hash);
    while (slots_[index].entry)
      index = (index + 1) & (slots_.size() - 1);
    slots_[index] = std::move(each);
  }
}

} // namespace ledgerflow
