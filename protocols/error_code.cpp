#include "protocols/error_code.hpp"

#include <array>
#include <utility>

namespace ledgerflow {

namespace {

struct error_code_info {
  error_code code;
  std::string_view name;
  int status;
};

constexpr std::array<error_code_info, 20> error_code_table{{
  {error_code::none, "none", 200},
  {error_code::bad_request, "bad_request", 400},
  {error_code::unauthorized, "unauthorized", 401},
  {error_code::forbidden, "forbidden", 403},
  {error_code::not_found, "not_found", 404},
  {error_code::conflict, "conflict", 409},
  {error_code::idempotency_mismatch, "idempotency_mismatch", 422},
  {error_code::insufficient_funds, "insufficient_funds", 422},
  {error_code::unknown_asset, "unknown_asset", 400},
  {error_code::amount_invalid, "amount_invalid", 400},
  {error_code::account_invalid, "account_invalid", 400},
  {error_code::bucket_invalid, "bucket_invalid", 400},
  {error_code::rate_limited, "rate_limited", 429},
  {error_code::unavailable, "unavailable", 503},
  {error_code::payload_too_large, "payload_too_large", 413},
  {error_code::method_not_allowed, "method_not_allowed", 405},
  {error_code::provider_rejected, "provider_rejected", 422},
  {error_code::provider_error, "provider_error", 502},
  {error_code::provider_timeout, "provider_timeout", 504},
  {error_code::internal, "internal", 500},
}};

const error_code_info& info_of(error_code code) {
  for (const auto& info : error_code_table)
    if (info.code == code)
      return info;
  return error_code_table.back();  // internal
}

} // namespace

std::string_view to_string(error_code code) {
  return info_of(code).name;
}

int http_status(error_code code) {
  return info_of(code).status;
}

error_code error_code_from_string(std::string_view name) {
  for (const auto& info : error_code_table)
    if (info.name == name)
      return info.code;
  return error_code::internal;
}

} // namespace ledgerflow
