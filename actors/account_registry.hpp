// A registry shard: owns the account actors of the accounts that hash to it. Every command
// for an account is routed through its shard, which spawns the actor on first use; an idle
// actor asks to passivate and the shard agrees only if nothing was routed to it meanwhile.
#pragma once

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/ledger_context.hpp"

namespace ledgerflow {

// Serves (transfer_atom, transfer_command), (credit_atom, inflight_leg), (view_atom, account)
// by delegating to the account's actor, and (passivate_atom, account, commands) -> bool.
// The context may be completed (registry_shards filled in) after spawn, before the first message.
caf::actor spawn_account_registry(caf::actor_system& system, ledger_context_ptr context);

} // namespace ledgerflow
