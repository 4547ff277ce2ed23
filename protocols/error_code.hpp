// The error codes ledgerflow reports to callers, with their HTTP status (API.md "Errors").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ledgerflow {

enum class error_code : uint8_t {
  none = 0,
  bad_request,
  unauthorized,
  forbidden,
  not_found,
  conflict,
  idempotency_mismatch,
  insufficient_funds,
  unknown_asset,
  amount_invalid,
  account_invalid,
  bucket_invalid,
  rate_limited,
  unavailable,
  payload_too_large,
  method_not_allowed,
  provider_rejected,  // an external provider refused the call
  provider_error,     // it failed, retries exhausted
  provider_timeout,   // it did not answer in time, retries exhausted
  internal,           // last: the fallback of the code table
};

// Wire name, e.g. "insufficient_funds".
std::string_view to_string(error_code code);
// HTTP status a REST response carries for this code.
int http_status(error_code code);
// Inverse of to_string; error_code::internal for an unknown name.
error_code error_code_from_string(std::string_view name);

// An expected failure: a code for programs and a message for people.
struct error {
  error_code code = error_code::none;
  std::string message;
};

inline error make_error(error_code code, std::string message) {
  return error{code, std::move(message)};
}

} // namespace ledgerflow
