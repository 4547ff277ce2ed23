// Request bodies are untrusted JSON: parsed without exceptions escaping, nesting bounded
// before the parser sees it (a 64 KiB body of '[' must not become 64 Ki nested values).
#pragma once

#include <cstddef>
#include <string_view>

#include <nlohmann/json.hpp>

#include "protocols/limits.hpp"
#include "protocols/outcome.hpp"

namespace ledgerflow {

using limits::json_body_depth_max;

// The body as a JSON object, or bad_request saying why not.
outcome<nlohmann::json> parse_json_object(std::string_view body);

} // namespace ledgerflow
