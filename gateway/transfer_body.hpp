// The body of POST /v1/transfers, validated where it is decoded (STYLE habit 2):
// {"idempotency_key","from":{"account","bucket"},"to":{"account","bucket"},"amount"}.
// Every field is required and must be a string; unknown extra fields are ignored.
#pragma once

#include <string_view>

#include "protocols/asset_registry.hpp"
#include "protocols/outcome.hpp"
#include "protocols/transfer.hpp"

namespace ledgerflow {

// Codes: bad_request (JSON, types, key length, same-asset and same-bucket rules),
// account_invalid, bucket_invalid, unknown_asset, amount_invalid.
outcome<transfer_request> parse_transfer_body(std::string_view body, const asset_registry& assets);

} // namespace ledgerflow
