#include "protocols/amount.hpp"

#include <algorithm>

#include "protocols/limits.hpp"

namespace ledgerflow {

namespace {

using magnitude = minor_units_magnitude;

constexpr magnitude magnitude_max = static_cast<magnitude>(minor_units_max);

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Appends digits to an unsigned accumulator; false on overflow past `limit`.
bool accumulate_digits(std::string_view digits, magnitude& accumulator, magnitude limit) {
  for (char c : digits) {
    auto digit = static_cast<magnitude>(c - '0');
    if (accumulator > (limit - digit) / 10)
      return false;
    accumulator = accumulator * 10 + digit;
  }
  return true;
}

std::string magnitude_to_string(magnitude value) {
  if (value == 0)
    return "0";
  std::string digits;
  while (value != 0) {
    digits.push_back(static_cast<char>('0' + static_cast<int>(value % 10)));
    value /= 10;
  }
  std::reverse(digits.begin(), digits.end());
  return digits;
}

magnitude magnitude_of(minor_units value) {
  return value < 0 ? static_cast<magnitude>(-(value + 1)) + 1 : static_cast<magnitude>(value);
}

} // namespace

outcome<minor_units> parse_amount(std::string_view text, int decimals) {
  auto invalid = [&](const char* why) {
    return make_error(error_code::amount_invalid, std::string("amount \"")
                        + std::string(text.substr(0, limits::amount_text_length_max)) + "\" " + why);
  };
  if (text.empty() || text.size() > limits::amount_text_length_max)
    return invalid("must be a decimal string of 1 to 64 characters");
  auto point = text.find('.');
  auto whole = text.substr(0, point);
  auto fraction = point == std::string_view::npos ? std::string_view{} : text.substr(point + 1);
  bool digits_only = std::all_of(whole.begin(), whole.end(), is_digit)
                     && std::all_of(fraction.begin(), fraction.end(), is_digit);
  if (whole.empty() || !digits_only || (point != std::string_view::npos && fraction.empty()))
    return invalid("must look like 12 or 12.50 (digits, one optional point, no sign or exponent)");
  if (static_cast<int>(fraction.size()) > decimals)
    return invalid(("has more than " + std::to_string(decimals) + " decimals").c_str());
  magnitude value = 0;
  if (!accumulate_digits(whole, value, magnitude_max)
      || !accumulate_digits(fraction, value, magnitude_max))
    return invalid("is too large");
  for (int i = static_cast<int>(fraction.size()); i < decimals; ++i) {
    if (value > magnitude_max / 10)
      return invalid("is too large");
    value *= 10;
  }
  if (value == 0)
    return invalid("must be greater than zero");
  return static_cast<minor_units>(value);
}

std::string format_amount(minor_units value, int decimals) {
  auto digits = magnitude_to_string(magnitude_of(value));
  if (decimals > 0) {
    if (static_cast<int>(digits.size()) <= decimals)
      digits.insert(0, static_cast<size_t>(decimals) + 1 - digits.size(), '0');
    digits.insert(digits.size() - static_cast<size_t>(decimals), 1, '.');
  }
  return value < 0 ? "-" + digits : digits;
}

std::string to_decimal_string(minor_units value) {
  auto digits = magnitude_to_string(magnitude_of(value));
  return value < 0 ? "-" + digits : digits;
}

outcome<minor_units> parse_decimal_integer(std::string_view text) {
  bool negative = !text.empty() && text.front() == '-';
  auto digits = negative ? text.substr(1) : text;
  if (digits.empty() || digits.size() > 40 || !std::all_of(digits.begin(), digits.end(), is_digit))
    return make_error(error_code::amount_invalid, "not a decimal integer");
  magnitude value = 0;
  if (!accumulate_digits(digits, value, magnitude_max + (negative ? 1 : 0)))
    return make_error(error_code::amount_invalid, "decimal integer out of range");
  if (negative)
    return value == magnitude_max + 1 ? minor_units_min : -static_cast<minor_units>(value);
  return static_cast<minor_units>(value);
}

status check_positive_amount(minor_units amount) {
  if (amount <= 0)
    return make_error(error_code::amount_invalid, "amount must be greater than zero");
  return done{};
}

bool checked_add(minor_units a, minor_units b, minor_units& result) {
  return !__builtin_add_overflow(a, b, &result);
}

bool checked_sub(minor_units a, minor_units b, minor_units& result) {
  return !__builtin_sub_overflow(a, b, &result);
}

} // namespace ledgerflow
