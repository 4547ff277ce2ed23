#include "gateway/json_body.hpp"

#include <algorithm>

namespace ledgerflow {

namespace {

// Nesting depth of the text, counting brackets outside strings; stops once past `limit`.
size_t nesting_depth(std::string_view text, size_t limit) {
  size_t depth = 0;
  size_t deepest = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > limit)
        return deepest;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

} // namespace

outcome<nlohmann::json> parse_json_object(std::string_view body) {
  if (nesting_depth(body, json_body_depth_max) > json_body_depth_max)
    return make_error(error_code::bad_request, "body nests deeper than 32 levels");
  try {
    auto parsed = nlohmann::json::parse(body, nullptr, false);
    if (parsed.is_discarded())
      return make_error(error_code::bad_request, "body is not valid JSON");
    if (!parsed.is_object())
      return make_error(error_code::bad_request, "body must be a JSON object");
    return parsed;
  } catch (const nlohmann::json::exception& failure) {
    return make_error(error_code::bad_request, std::string("body is not valid JSON: ") + failure.what());
  }
}

} // namespace ledgerflow
