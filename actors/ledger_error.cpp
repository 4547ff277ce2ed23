#include "actors/ledger_error.hpp"

#include <caf/atom.hpp>
#include <caf/message.hpp>
#include <caf/sec.hpp>

namespace ledgerflow {

namespace {
constexpr caf::atom_value ledger_category = caf::atom("ledger");
} // namespace

caf::error to_caf_error(const error& failure) {
  return caf::error(static_cast<uint8_t>(failure.code), ledger_category, caf::make_message(failure.message));
}

error from_caf_error(const caf::error& failure) {
  if (failure.category() == ledger_category) {
    std::string message;
    if (failure.context().match_elements<std::string>())
      message = failure.context().get_as<std::string>(0);
    return make_error(static_cast<error_code>(failure.code()), std::move(message));
  }
  if (failure == caf::sec::request_timeout)
    return make_error(error_code::unavailable, "the ledger did not answer in time; retry with the same idempotency key");
  return make_error(error_code::unavailable, "ledger unavailable: " + caf::to_string(failure));
}

} // namespace ledgerflow
