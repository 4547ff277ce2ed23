#include "protocols/json_text.hpp"

#include <algorithm>
#include <cstdio>

namespace ledgerflow {

namespace {

bool needs_json_escape(char c) {
  return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
}

} // namespace

// Ids and buckets are plain ASCII by validation, so the common case copies the text whole;
// the escaping keeps the output valid whatever it holds.
void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  if (std::none_of(text.begin(), text.end(), needs_json_escape)) {
    out += text;
    out += '"';
    return;
  }
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\u%04x", static_cast<unsigned>(c));
      out += escaped;
    } else {
      out += c;
    }
  }
  out += '"';
}

} // namespace ledgerflow
