// Lower-case hex encoding of bytes.
#pragma once

#include <cstddef>
#include <string>

namespace ledgerflow {

inline std::string to_hex(const unsigned char* bytes, size_t size) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string text;
  text.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    text.push_back(digits[bytes[i] >> 4]);
    text.push_back(digits[bytes[i] & 0x0f]);
  }
  return text;
}

} // namespace ledgerflow
