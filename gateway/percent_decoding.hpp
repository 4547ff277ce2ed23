// Percent-decoding (RFC 3986 2.1) of path segments and query components, strict: a '%' must
// be followed by two hex digits, so "%zz" is a bad request rather than a guess.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ledgerflow {

std::optional<std::string> percent_decode(std::string_view text);

} // namespace ledgerflow
