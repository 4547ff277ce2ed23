// The engine actor: the one place that knows which sagas run. It starts a saga once per
// idempotency key (a repeat gets the running or stored saga), routes operators' commands to
// the saga's coordinator (spawning one again to retry a failed saga), and spawns the
// coordinators of recovered sagas.
#pragma once

#include <memory>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "persistence/journal.hpp"
#include "persistence/key_filter.hpp"
#include "sagas/saga_runtime.hpp"

namespace ledgerflow {

// Messages: (saga_start_atom, saga_data, saga_reply) for a validated new saga (version 0);
// (saga_steer_atom, id, saga_action, saga_reply); (saga_recover_atom, vector<saga_record>).
// `started_ids` holds the id of every saga in the log: a start whose id it has certainly never
// seen needs no read of the log to know it is new. The engine adds the sagas it starts.
caf::actor spawn_saga_engine(caf::actor_system& system, saga_runtime_ptr runtime, std::shared_ptr<journal> store,
                             std::shared_ptr<key_filter> started_ids);

} // namespace ledgerflow
