// The coordinator: one actor per running saga. It writes the saga's record to the saga log
// before each attempt of a step, runs the step (ledger operations or a provider call), and
// moves forward, waits (breaker open, confirmations), retries, or compensates backward; it
// ends when the saga reaches a terminal state. Steered by the engine (pause, resume, retry,
// abort). See docs/sagas.md.
#pragma once

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "sagas/saga_data.hpp"
#include "sagas/saga_messages.hpp"
#include "sagas/saga_runtime.hpp"

namespace ledgerflow {

// Spawns a coordinator that tells `engine` (saga_ended_atom, id) when the saga is terminal
// (the engine monitors it, and stops every coordinator when it stops). A new saga (version 0)
// is written first and `started` answered once durable; a recovered one resumes where its
// record stands.
caf::actor spawn_saga_coordinator(caf::actor_system& system, const caf::actor& engine, saga_runtime_ptr runtime,
                                  saga_data saga, saga_reply started);

} // namespace ledgerflow
