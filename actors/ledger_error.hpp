// Carries ledgerflow errors across actors as caf::error values (category "ledger").
#pragma once

#include <caf/error.hpp>

#include "protocols/error_code.hpp"

namespace ledgerflow {

caf::error to_caf_error(const error& failure);
// A ledger error back from a caf::error; CAF's own errors (timeouts, dead actors) become
// `unavailable`, since the caller may retry with the same idempotency key.
error from_caf_error(const caf::error& failure);

} // namespace ledgerflow
