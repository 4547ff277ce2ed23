// Atoms and message payloads exchanged between ledger actors. Payloads are local-only for now
// (single node); the cluster will give them msgpack encodings before they cross the network.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
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
using publish_atom = caf::atom_constant<caf::atom("publish")>;
using subscribe_atom = caf::atom_constant<caf::atom("subscribe")>;
using unsubscribe_atom = caf::atom_constant<caf::atom("unsubscr")>;
using call_atom = caf::atom_constant<caf::atom("call")>;
using sweep_atom = caf::atom_constant<caf::atom("sweep")>;
using finish_atom = caf::atom_constant<caf::atom("finish")>;
using hold_atom = caf::atom_constant<caf::atom("hold")>;
using release_atom = caf::atom_constant<caf::atom("release")>;
using post_atom = caf::atom_constant<caf::atom("post")>;

// How far an account's entries are durable. The writer advances it after each commit (a
// store, not a message); the account actor reads it when it needs to know.
struct durable_cursor {
  std::atomic<uint64_t> seq{0};
};

// A transfer an account actor has ended, reported to the idempotency guard once durable.
struct finished_transfer {
  std::string idempotency_key;
  transfer_receipt receipt;
};

// Entries an account actor wants durable. After the commit the writer advances `cursor` to
// `token`, hands `finished` to a transfer finisher and, only if `notify` is set, sends
// (durable_atom, token) to it (for an actor with readers waiting).
struct write_request {
  append_batch batch;
  std::shared_ptr<durable_cursor> cursor;
  uint64_t token = 0;  // the requester's seq once these entries are applied
  std::optional<finished_transfer> finished;
  caf::actor notify;
};

// A validated transfer on its way to the outgoing account's actor. Its end is reported to
// the idempotency guard under request.idempotency_key, not answered to a sender.
struct transfer_command {
  transfer_request request;
  std::string transfer_id;
  std::string request_hash;
  std::string asset_code;
  int64_t timestamp_us = 0;
};

// Validated hold requests on their way to the holder's actor; answered like a transfer, through
// the idempotency guard under the request's key.
struct hold_command {
  hold_request request;
  std::string hold_id;
  std::string request_hash;
  std::string asset_code;
  int64_t timestamp_us = 0;
};

struct release_command {
  release_request request;
  std::string request_hash;
  int64_t timestamp_us = 0;
};

struct post_command {
  post_request request;
  std::string transfer_id;
  std::string request_hash;
  std::string asset_code;  // of the destination bucket; must be the hold's
  int64_t timestamp_us = 0;
};

// Durable balances of one account, for whoever asked (called once they are durable).
struct view_request {
  std::function<void(outcome<account_view>)> done;
};

} // namespace ledgerflow

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ledgerflow::write_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ledgerflow::transfer_command)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ledgerflow::inflight_leg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ledgerflow::hold_command)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ledgerflow::release_command)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ledgerflow::post_command)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ledgerflow::view_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ledgerflow::durable_entries)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<ledgerflow::finished_transfer>)
