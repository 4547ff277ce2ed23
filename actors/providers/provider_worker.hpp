// A worker runs one attempt at a time on the adapter and reports its outcome straight to the
// supervisor. It holds no state worth keeping: when it crashes or hangs the supervisor
// replaces it.
#pragma once

#include <chrono>
#include <memory>

#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>

#include "protocols/provider_adapter.hpp"

namespace ledgerflow {

caf::behavior provider_worker(caf::event_based_actor* self, std::shared_ptr<provider_adapter> adapter,
                              caf::actor_addr supervisor, std::chrono::milliseconds timeout);

} // namespace ledgerflow
