#include "persistence/sqlite/sqlite_unmerged_rows.hpp"

#include <algorithm>
#include <utility>

namespace ledgerflow {

void sqlite_unmerged_rows::add_key(std::string_view key, int64_t pos) {
  keys.push_back({key_text.size(), key.size(), pos});
  key_text.append(key);
}

sqlite_unmerged_rows sqlite_unmerged_rows::take_through(const sqlite_log_positions& up_to) {
  auto entries_end = std::find_if(entries.begin(), entries.end(),
                                  [&up_to](const entry_row& row) { return row.pos > up_to.entries; });
  auto keys_end =
    std::find_if(keys.begin(), keys.end(), [&up_to](const key_row& row) { return row.pos > up_to.idempotency; });
  sqlite_unmerged_rows taken;
  if (entries_end == entries.end() && keys_end == keys.end()) {  // the usual case: every row
    std::swap(taken, *this);
    // The next merge takes about as many: grown row by row, these vectors were 1.6% of the
    // writer's time (reallocation and fresh pages).
    entries.reserve(taken.entries.size());
    keys.reserve(taken.keys.size());
    key_text.reserve(taken.key_text.size());
    return taken;
  }
  // A merge capped at unmerged_rows_max: the rest stay, their key texts in a buffer of their own.
  taken.entries.assign(entries.begin(), entries_end);
  entries.erase(entries.begin(), entries_end);
  sqlite_unmerged_rows later;
  for (auto row = keys.begin(); row != keys.end(); ++row)
    (row < keys_end ? taken : later).add_key(key(*row), row->pos);
  key_text = std::move(later.key_text);
  keys = std::move(later.keys);
  return taken;
}

} // namespace ledgerflow
