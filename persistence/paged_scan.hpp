// scan_entries for stores that read in pages by keyset: each page holds the entries after the
// last (account, seq) the previous one ended at, so `visit` runs with no page query open and
// may itself read the journal.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "protocols/journal_entry.hpp"

namespace ledgerflow {

// fetch_page(account, seq) returns at most page_entries_max entries after (account, seq) in
// (account, seq) order, starting from ("", 0); a shorter page is the last.
template <class FetchPage>
void scan_in_pages(size_t page_entries_max, FetchPage&& fetch_page,
                   const std::function<bool(const journal_entry&)>& visit) {
  std::string account;  // below every id: an entry always has an account
  uint64_t seq = 0;
  while (true) {
    std::vector<journal_entry> page = fetch_page(account, seq);
    for (const auto& entry : page)
      if (!visit(entry))
        return;
    if (page.size() < page_entries_max)
      return;
    account = page.back().account;
    seq = page.back().seq;
  }
}

} // namespace ledgerflow
