// Exact money: a signed 128-bit count of an asset's minor units (ETH in wei needs > 64 bits).
// On the wire an amount is a decimal string in major units ("12.50"); never a float.
#pragma once

#include <string>
#include <string_view>

#include "protocols/outcome.hpp"

namespace ledgerflow {

// __extension__: __int128 is a GCC/Clang extension that -Wpedantic would flag on every use.
__extension__ typedef __int128 minor_units;
__extension__ typedef unsigned __int128 minor_units_magnitude;

inline constexpr minor_units minor_units_max = static_cast<minor_units>(~static_cast<minor_units_magnitude>(0) >> 1);
inline constexpr minor_units minor_units_min = -minor_units_max - 1;

// Parses a positive major-unit amount ("12.50") with at most `decimals` fraction digits.
// Rejects signs, exponents, spaces, empty parts, too many decimals, zero and overflow.
outcome<minor_units> parse_amount(std::string_view text, int decimals);

// Formats minor units as major units with exactly `decimals` fraction digits ("-0.05").
std::string format_amount(minor_units value, int decimals);

// Plain decimal integer form of minor units, as stored on disk ("-1250").
std::string to_decimal_string(minor_units value);
// Inverse of to_decimal_string; rejects anything but an optional '-' and digits, and overflow.
outcome<minor_units> parse_decimal_integer(std::string_view text);

// Overflow-checked arithmetic; false when the result does not fit.
// A movement of money must move some: amount_invalid for zero or less.
status check_positive_amount(minor_units amount);

bool checked_add(minor_units a, minor_units b, minor_units& result);
bool checked_sub(minor_units a, minor_units b, minor_units& result);

} // namespace ledgerflow
