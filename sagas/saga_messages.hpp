// Messages between the saga service, the engine actor and the coordinators. Local-only.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include "protocols/saga_record.hpp"
#include "protocols/transfer.hpp"
#include "sagas/saga_api.hpp"
#include "sagas/saga_data.hpp"

namespace ledgerflow {

using saga_start_atom = caf::atom_constant<caf::atom("sstart")>;
using saga_steer_atom = caf::atom_constant<caf::atom("ssteer")>;
using saga_view_atom = caf::atom_constant<caf::atom("sview")>;
using saga_ended_atom = caf::atom_constant<caf::atom("sended")>;
using saga_recover_atom = caf::atom_constant<caf::atom("srecover")>;
using saga_ledger_atom = caf::atom_constant<caf::atom("sledger")>;
using saga_timer_atom = caf::atom_constant<caf::atom("stimer")>;
using saga_read_atom = caf::atom_constant<caf::atom("sread")>;

using saga_reply = std::function<void(outcome<saga_record>)>;
using saga_list_reply = std::function<void(outcome<std::vector<saga_record>>)>;

// The answer to one ledger operation of an attempt.
struct saga_ledger_result {
  uint64_t attempt = 0;
  size_t index = 0;
  outcome<transfer_receipt> receipt;
};

} // namespace ledgerflow

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ledgerflow::saga_data)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ledgerflow::saga_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ledgerflow::saga_list_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ledgerflow::saga_ledger_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ledgerflow::saga_start_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ledgerflow::saga_action)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ledgerflow::saga_filter)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ledgerflow::saga_record)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<ledgerflow::saga_record>)
