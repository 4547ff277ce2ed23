// Writing JSON text by appending to a string, for hot paths where building a nlohmann::json
// tree first costs more than the work itself (receipts, saga records).
#pragma once

#include <charconv>
#include <string>
#include <string_view>

namespace ledgerflow {

// Appends `text` as a JSON string, escaping quotes, backslashes and control bytes.
void append_json_string(std::string& out, std::string_view text);

// Appends an integer's decimal digits without a temporary string.
template <class Integer>
void append_integer(std::string& out, Integer value) {
  char digits[24];
  auto end = std::to_chars(digits, digits + sizeof(digits), value).ptr;
  out.append(digits, end);
}

} // namespace ledgerflow
