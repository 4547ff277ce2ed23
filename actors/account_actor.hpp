// The account actor: the single writer of one account's journal entries. It validates a
// command against its book, applies the entries optimistically so the next command sees
// them, asks the journal writer to make them durable, and answers only once they are.
// Spawned on first use by its registry shard; passivated when idle.
#pragma once

#include <string>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/ledger_context.hpp"

namespace ledgerflow {

// Loads the account from its latest snapshot and the tail of its journal, then serves:
//   (transfer_atom, transfer_command) -> transfer_receipt   outgoing leg (or both, same account)
//   (credit_atom, inflight_leg)       -> transfer_receipt   incoming leg of a transfer
//   (view_atom)                       -> account_view       durable balances
caf::actor spawn_account_actor(caf::event_based_actor* parent, std::string account, caf::actor registry,
                               ledger_context_ptr context);

} // namespace ledgerflow
