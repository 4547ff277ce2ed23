#include "protocols/journal_entry.hpp"

#include <array>
#include <utility>

namespace ledgerflow {

namespace {

constexpr std::array<std::pair<entry_kind, std::string_view>, 5> entry_kind_names{{
  {entry_kind::credit, "credit"},
  {entry_kind::debit, "debit"},
  {entry_kind::hold, "hold"},
  {entry_kind::release, "release"},
  {entry_kind::post, "post"},
}};

} // namespace

std::string_view to_string(entry_kind kind) {
  for (auto [k, name] : entry_kind_names)
    if (k == kind)
      return name;
  return "unknown";
}

bool entry_kind_from_string(std::string_view name, entry_kind& kind) {
  for (auto [k, n] : entry_kind_names)
    if (n == name) {
      kind = k;
      return true;
    }
  return false;
}

bool journal_entry::operator==(const journal_entry& other) const {
  return account == other.account && seq == other.seq && kind == other.kind && bucket == other.bucket
         && amount == other.amount && available_after == other.available_after
         && held_after == other.held_after && cause_kind == other.cause_kind
         && cause_id == other.cause_id && counterparty_account == other.counterparty_account
         && counterparty_bucket == other.counterparty_bucket && hold_id == other.hold_id
         && timestamp_us == other.timestamp_us;
}

} // namespace ledgerflow
