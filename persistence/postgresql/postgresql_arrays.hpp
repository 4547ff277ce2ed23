// PostgreSQL array literals ('{"a","b"}', '{1,2}') for the unnest()-based multi-row
// statements: one prepared statement, one round trip, any number of rows, every value a
// parameter (never spliced into SQL).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "protocols/amount.hpp"

namespace ledgerflow {

// Builds one array literal, element by element.
class postgresql_array {
public:
  postgresql_array() { text_ = "{"; }
  // Quoted, with '"' and '\' escaped: any text, including the empty one and "NULL".
  void add_text(std::string_view value);
  void add_integer(int64_t value);
  void add_decimal(minor_units value);  // 128-bit, as NUMERIC
  // The literal; the builder is spent.
  std::string finish();

private:
  void separate();
  std::string text_;
  bool first_ = true;
};

} // namespace ledgerflow
