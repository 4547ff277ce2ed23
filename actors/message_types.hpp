// Atoms and message payloads exchanged between ledger actors. Payloads are local-only for now
// (single node); the cluster will give them msgpack encodings before they cross the network.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include "actors/ledger_api.hpp"
#include "persistence/journal.hpp"

namespace ledgerflow {

using append_atom = caf::atom_constant<caf::atom("append")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using durable_atom = caf::atom_constant<caf::atom("durable")>;
using transfer_atom = caf::atom_constant<caf::atom("transfer")>;
using credit_atom = caf::atom_constant<caf::atom("credit")>;
using view_atom = caf::atom_constant<caf::atom("view")>;
using idle_atom = caf::atom_constant<caf::atom("idle")>;
using passivate_atom = caf::atom_constant<caf::atom("passivate")>;
using publish_atom = caf::atom_constant<caf::atom("publish")>;
using subscribe_atom = caf::atom_constant<caf::atom("subscribe")>;
using unsubscribe_atom = caf::atom_constant<caf::atom("unsubscr")>;
using call_atom = caf::atom_constant<caf::atom("call")>;
using recover_atom = caf::atom_constant<caf::atom("recover")>;
using sweep_atom = caf::atom_constant<caf::atom("sweep")>;

// Entries an account actor wants durable; the writer answers (durable_atom, token).
struct write_request {
  append_batch batch;
  caf::actor requester;
  uint64_t token = 0;  // the requester's seq once these entries are applied
  // False when the requester learns durability another way (an outgoing leg: the incoming
  // leg's answer comes only after a later-or-same batch, so it implies this one is durable).
  bool notify = true;
};

// A validated transfer on its way to the outgoing account's actor.
struct transfer_command {
  transfer_request request;
  std::string transfer_id;
  std::string request_hash;
  std::string asset_code;
  int64_t timestamp_us = 0;
};

// Durable entries of one group commit, shared by every subscriber (never copied per client).
using durable_entries = std::shared_ptr<const std::vector<journal_entry>>;

} // namespace ledgerflow

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ledgerflow::write_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ledgerflow::transfer_command)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ledgerflow::inflight_leg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ledgerflow::transfer_receipt)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ledgerflow::transfer_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ledgerflow::account_view)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ledgerflow::durable_entries)
