// `ledgerflow check`: verifies every ledger invariant of DESIGN.md by reading the journal.
//  - each account's sequence numbers are dense (1, 2, 3, ...);
//  - each entry's recorded balances equal the fold of the entries before it, holds match;
//  - no user bucket is negative;
//  - the latest snapshot of each account equals the fold up to its seq;
//  - per asset, the sum of all balances plus the in-flight legs is zero.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "persistence/journal.hpp"
#include "protocols/asset_registry.hpp"

namespace ledgerflow {

struct ledger_check_report {
  uint64_t accounts = 0;
  uint64_t entries = 0;
  uint64_t inflight_legs = 0;
  std::map<std::string, minor_units> asset_totals;  // should all be zero
  std::vector<std::string> problems;                 // empty when every invariant holds

  bool ok() const { return problems.empty(); }
};

// Problems are collected, not thrown; at most problems_max are listed.
ledger_check_report check_ledger(journal& store, const asset_registry& assets, size_t problems_max = 100);

} // namespace ledgerflow
