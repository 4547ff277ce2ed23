#include "persistence/postgresql/postgresql_arrays.hpp"

namespace ledgerflow {

void postgresql_array::separate() {
  if (!first_)
    text_ += ',';
  first_ = false;
}

void postgresql_array::add_text(std::string_view value) {
  separate();
  text_ += '"';
  for (char c : value) {
    if (c == '"' || c == '\\')
      text_ += '\\';
    text_ += c;
  }
  text_ += '"';
}

void postgresql_array::add_integer(int64_t value) {
  separate();
  text_ += std::to_string(value);
}

void postgresql_array::add_decimal(minor_units value) {
  separate();
  text_ += to_decimal_string(value);
}

std::string postgresql_array::finish() {
  text_ += '}';
  return std::move(text_);
}

} // namespace ledgerflow
