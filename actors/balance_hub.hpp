// The balance-update hub: receives the entries of each group commit once they are durable
// and hands the same shared batch to every subscriber (the WebSocket gateway, tests, bench).
#pragma once

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

namespace ledgerflow {

// Serves (publish_atom, durable_entries) from the journal writer, and
// (subscribe_atom, caf::actor) / (unsubscribe_atom, caf::actor); a subscriber receives
// (publish_atom, durable_entries) for every batch after it subscribed, in commit order.
caf::actor spawn_balance_hub(caf::actor_system& system);

} // namespace ledgerflow
