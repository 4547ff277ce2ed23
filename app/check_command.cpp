// `ledgerflow check`: exit 0 only when every ledger invariant holds; otherwise list what broke.
#include <iostream>

#include "app/commands.hpp"
#include "app/journal_factory.hpp"
#include "persistence/ledger_check.hpp"

namespace ledgerflow {

int run_check(const app_config& config) {
  std::shared_ptr<journal> store;
  try {
    store = open_journal(config.database_url(), config);
    auto report = check_ledger(*store, config.assets);
    std::cout << "checked " << report.accounts << " accounts, " << report.entries << " entries, "
              << report.inflight_legs << " in-flight legs\n";
    for (const auto& [asset, total] : report.asset_totals)
      std::cout << "  " << asset << ": sum of balances and in-flight legs = " << to_decimal_string(total) << "\n";
    if (report.ok()) {
      std::cout << "ok: every invariant holds\n";
      return 0;
    }
    for (const auto& problem : report.problems)
      std::cout << "BROKEN: " << problem << "\n";
    return 1;
  } catch (const std::exception& failure) {
    std::cerr << "check: " << failure.what() << "\n";
    return 2;
  }
}

} // namespace ledgerflow
