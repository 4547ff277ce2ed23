// Messages of the provider supervisors. A caller sends (provider_call_atom, id, provider_call)
// and gets (provider_reply_atom, id, provider_reply) back as a plain message, not a CAF
// request: no response handler per call, so the hot path stays cheap. Local-only payloads.
#pragma once

#include <cstdint>
#include <memory>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include "actors/providers/circuit_breaker.hpp"
#include "actors/providers/provider_status.hpp"
#include "protocols/provider_call.hpp"

namespace ledgerflow {

using provider_call_atom = caf::atom_constant<caf::atom("pcall")>;
using provider_reply_atom = caf::atom_constant<caf::atom("preply")>;
using provider_status_atom = caf::atom_constant<caf::atom("pstatus")>;
using provider_breaker_atom = caf::atom_constant<caf::atom("pbreaker")>;
// Between a supervisor and its workers and timers.
using attempt_atom = caf::atom_constant<caf::atom("pattempt")>;
using attempt_done_atom = caf::atom_constant<caf::atom("pdone")>;
using retry_due_atom = caf::atom_constant<caf::atom("pretry")>;
using supervisor_tick_atom = caf::atom_constant<caf::atom("ptick")>;
using breaker_poll_atom = caf::atom_constant<caf::atom("ppoll")>;

// A call as the supervisor keeps it: shared with the worker running an attempt, not copied.
using shared_call = std::shared_ptr<const provider_call>;

struct provider_reply {
  call_outcome outcome;
  uint32_t attempts = 0;  // 0: refused before any attempt (breaker open, bulkhead full, bad call)
};

} // namespace ledgerflow

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ledgerflow::provider_call)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ledgerflow::call_outcome)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ledgerflow::shared_call)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ledgerflow::provider_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ledgerflow::provider_status)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ledgerflow::breaker_action)
