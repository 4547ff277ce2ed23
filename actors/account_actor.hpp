// The account actor: the single writer of one account's journal entries. It validates a
// command against its book, applies the entries optimistically so the next command sees
// them, asks the journal writer to make them durable, and reports only once they are.
// Spawned on first use by the account registry; passivated when idle.
#pragma once

#include <string>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/ledger_context.hpp"

namespace ledgerflow {

// Loads the account from its latest snapshot and the tail of its journal, then serves:
//   (transfer_atom, transfer_command)  outgoing leg, then the incoming one is sent on (or both
//                                      legs, same account); the end goes to context->guard
//   (credit_atom, inflight_leg)        incoming leg of a transfer; its end goes to context->guard
//   (view_atom, view_request)          durable balances, to request.done
caf::actor spawn_account_actor(caf::actor_system& system, std::string account, ledger_context_ptr context);

} // namespace ledgerflow
