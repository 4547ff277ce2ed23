// A worker runs one attempt at a time on the adapter and reports its outcome straight to the
// supervisor. It holds no state worth keeping: when it crashes or hangs the supervisor
// replaces it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>

#include "protocols/provider_adapter.hpp"

namespace ledgerflow {

// The completion an attempt's adapter calls: it sends (attempt_done_atom, slot, token, outcome)
// to the supervisor, after `deliver_after` when the adapter asks for it.
call_completion completion_for(caf::actor_addr supervisor, uint32_t slot, uint64_t token);

caf::behavior provider_worker(caf::event_based_actor* self, std::shared_ptr<provider_adapter> adapter,
                              caf::actor_addr supervisor, std::chrono::milliseconds timeout);

} // namespace ledgerflow
