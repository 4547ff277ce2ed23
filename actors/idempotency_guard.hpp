// The entry point of a transfer: validates it, answers a repeated idempotency key with the
// first receipt (or idempotency_mismatch for a different payload), lets concurrent repeats
// wait for the first, and sends new transfers to the outgoing account through its registry.
// Sharded by key; recent keys are cached (bounded LRU), older ones are read from the journal.
#pragma once

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/ledger_context.hpp"
#include "protocols/transfer.hpp"

namespace ledgerflow {

// Serves (transfer_atom, transfer_request) -> transfer_receipt.
caf::actor spawn_idempotency_guard(caf::actor_system& system, ledger_context_ptr context, uint32_t shard_index);

} // namespace ledgerflow
