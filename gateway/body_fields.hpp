// Fields of untrusted JSON request bodies, checked where they are decoded (STYLE habit 2):
// each error names the field, so a client sees which part of its body is wrong.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "protocols/asset_registry.hpp"
#include "protocols/bucket.hpp"
#include "protocols/outcome.hpp"

namespace ledgerflow {

// A required string member `name`; `where` prefixes the field's path in errors ("from.").
outcome<std::string> string_field(const nlohmann::json& object, const char* name, const std::string& where);

// "idempotency_key": 1 to 128 printable ASCII characters.
outcome<std::string> idempotency_key_field(const nlohmann::json& body);

// "account": a valid account id (account_invalid otherwise).
outcome<std::string> account_field(const nlohmann::json& object, const std::string& where);

struct account_bucket {
  std::string account;
  bucket where;
};

// `name`: an object {"account","bucket"} with a valid id and a configured bucket.
outcome<account_bucket> account_bucket_field(const nlohmann::json& body, const char* name,
                                             const asset_registry& assets);

} // namespace ledgerflow
