// Bodies of the hold routes, validated where they are decoded (STYLE habit 2). Every field
// is required and must be a string; unknown extra fields are ignored.
//   POST /v1/holds                  {"idempotency_key","account","bucket","amount"}
//   POST /v1/holds/{id}/release     {"idempotency_key","account"}
//   POST /v1/holds/{id}/post        {"idempotency_key","account","to":{"account","bucket"},"amount"}
#pragma once

#include <string>
#include <string_view>

#include "protocols/asset_registry.hpp"
#include "protocols/hold.hpp"
#include "protocols/outcome.hpp"

namespace ledgerflow {

// Codes: bad_request (JSON, types, key), account_invalid, bucket_invalid, unknown_asset,
// amount_invalid.
outcome<hold_request> parse_hold_body(std::string_view body, const asset_registry& assets);
outcome<release_request> parse_release_body(std::string_view body, std::string hold_id);
outcome<post_request> parse_post_body(std::string_view body, std::string hold_id, const asset_registry& assets);

} // namespace ledgerflow
