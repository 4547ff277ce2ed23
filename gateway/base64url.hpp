// Base64url without padding (RFC 7515 appendix C), the encoding of every JWT part.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ledgerflow {

std::string base64url_encode(std::string_view bytes);

// Strict: only [A-Za-z0-9_-], no padding, no whitespace, and the unused low bits of the last
// character must be zero, so every byte string has exactly one accepted encoding (a token
// cannot be altered into another text that still verifies).
std::optional<std::string> base64url_decode(std::string_view text);

} // namespace ledgerflow
