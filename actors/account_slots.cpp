#include "actors/account_slots.hpp"

#include <utility>

namespace ledgerflow {

namespace {

constexpr size_t slots_min = 64;

} // namespace

// The account's slot, or slots_.size() when it has none.
size_t account_slots::index_of(std::string_view account, uint64_t hash) const {
  if (slots_.empty())
    return 0;
  auto mask = slots_.size() - 1;
  for (auto index = home_of(hash);; index = (index + 1) & mask) {
    const auto& slot = slots_[index];
    if (!slot.used)
      return slots_.size();
    if (slot.hash == hash && slot.account == account)
      return index;
  }
}

account_slots::routed_actor* account_slots::find(std::string_view account, uint64_t hash) {
  auto index = index_of(account, hash);
  return index < slots_.size() ? &slots_[index].value : nullptr;
}

account_slots::routed_actor& account_slots::insert(std::string_view account, uint64_t hash, caf::actor actor) {
  // At most 70% used: probes stay short, and a free slot always ends a probe.
  if (10 * (size_ + 1) > 7 * slots_.size())
    grow();
  auto mask = slots_.size() - 1;
  auto index = home_of(hash);
  while (slots_[index].used)
    index = (index + 1) & mask;
  auto& slot = slots_[index];
  slot.hash = hash;
  slot.account.assign(account);
  slot.value = routed_actor{std::move(actor), 0};
  slot.used = true;
  ++size_;
  return slot.value;
}

// Backward-shift deletion: the slots after the freed one that would no longer be reachable from
// their home slot move back into the gap, so no tombstones are left to lengthen probes.
void account_slots::erase(std::string_view account, uint64_t hash) {
  auto gap = index_of(account, hash);
  if (gap >= slots_.size())
    return;
  auto mask = slots_.size() - 1;
  for (auto next = (gap + 1) & mask; slots_[next].used; next = (next + 1) & mask) {
    auto home = home_of(slots_[next].hash);
    // The slot at `next` may stay when its home lies cyclically in (gap, next].
    bool stays = gap <= next ? (gap < home && home <= next) : (gap < home || home <= next);
    if (stays)
      continue;
    slots_[gap] = std::move(slots_[next]);
    gap = next;
  }
  slots_[gap] = slot_type{};
  --size_;
}

void account_slots::grow() {
  std::vector<slot_type> old(slots_.empty() ? slots_min : slots_.size() * 2);
  old.swap(slots_);
  auto mask = slots_.size() - 1;
  for (auto& slot : old) {
    if (!slot.used)
      continue;
    auto index = home_of(slot.hash);
    while (slots_[index].used)
      index = (index + 1) & mask;
    slots_[index] = std::move(slot);
  }
}

} // namespace ledgerflow
