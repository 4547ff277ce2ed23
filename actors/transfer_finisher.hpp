// Reports transfers to the idempotency guard once the writer has made them durable. The
// writer hands over a whole batch's worth in a few messages instead of waking every account
// actor, and the guard's callbacks (the callers' continuations) run here, on the scheduler
// threads, never on the writer's.
#pragma once

#include <memory>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/idempotency_guard.hpp"

namespace ledgerflow {

// Serves (finish_atom, std::vector<finished_transfer>).
caf::actor spawn_transfer_finisher(caf::actor_system& system, std::weak_ptr<idempotency_guard> guard);

} // namespace ledgerflow
