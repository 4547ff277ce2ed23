// The balance-update hub: receives the entries of each group commit once they are durable
// and hands the same shared batch to every subscriber (the WebSocket gateway, tests, bench).
#pragma once

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/ledger_api.hpp"

namespace ledgerflow {

// Serves (publish_atom, durable_entries) from the journal writer, and
// (subscribe_atom, caf::actor) / (unsubscribe_atom, caf::actor); a subscriber receives
// (publish_atom, durable_entries) for every batch after it subscribed, in commit order.
caf::actor spawn_balance_hub(caf::actor_system& system);

// Spawns an actor that subscribes to `hub` and calls `listener` with every batch it gets.
caf::actor spawn_hub_listener(caf::actor_system& system, const caf::actor& hub, durable_listener listener);

} // namespace ledgerflow
