// The journal writer: the one actor that appends to the journal. It batches the write requests
// of all account actors into one transaction (group commit, one fsync per batch), flushing
// when its mailbox has drained or the batch is full. Then it advances each requester's durable
// cursor, hands the transfers the batch ended to the finishers (which answer their callers)
// and the batch's entries to the balance hub.
// A failed append stops the process (fail-stop): optimistic state must never be acknowledged.
#pragma once

#include <memory>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/ledger_metrics.hpp"
#include "persistence/journal.hpp"

namespace ledgerflow {

struct journal_writer_options {
  size_t batch_entries_max = 8192;
};

// Spawned detached: it blocks on fsync and must not hold a scheduler thread.
caf::actor spawn_journal_writer(caf::actor_system& system, std::shared_ptr<journal> store,
                                caf::actor balance_hub, std::vector<caf::actor> finishers,
                                std::shared_ptr<ledger_metrics> metrics, journal_writer_options options);

} // namespace ledgerflow
