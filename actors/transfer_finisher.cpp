#include "actors/transfer_finisher.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>

#include "actors/message_types.hpp"

namespace ledgerflow {

namespace {

caf::behavior transfer_finisher(caf::event_based_actor*, std::weak_ptr<idempotency_guard> guard) {
  return {
    [guard](finish_atom, std::vector<finished_transfer>& transfers) {
      auto live = guard.lock();
      if (!live)
        return;
      for (auto& transfer : transfers)
        live->finish(transfer.idempotency_key, std::move(transfer.receipt));
    },
  };
}

} // namespace

caf::actor spawn_transfer_finisher(caf::actor_system& system, std::weak_ptr<idempotency_guard> guard) {
  return system.spawn(transfer_finisher, std::move(guard));
}

} // namespace ledgerflow
