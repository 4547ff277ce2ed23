#include "persistence/sqlite/sqlite_options.hpp"

#include <array>
#include <utility>

namespace ledgerflow {

namespace {

constexpr std::array<std::pair<sqlite_synchronous, std::string_view>, 4> synchronous_names{{
  {sqlite_synchronous::off, "off"},
  {sqlite_synchronous::normal, "normal"},
  {sqlite_synchronous::full, "full"},
  {sqlite_synchronous::extra, "extra"},
}};

} // namespace

std::string_view to_string(sqlite_synchronous mode) {
  for (auto [m, name] : synchronous_names)
    if (m == mode)
      return name;
  return "unknown";
}

bool sqlite_synchronous_from_string(std::string_view name, sqlite_synchronous& mode) {
  for (auto [m, n] : synchronous_names)
    if (n == name) {
      mode = m;
      return true;
    }
  return false;
}

} // namespace ledgerflow
