// The index rows of the log rows appended since the last merge began, as the writer appended
// them: what the next merge puts into entry_index and idempotency_index. The writer keeps them
// (reading the unmerged ones back once at open) and hands them to the merger, so a merge never
// reads its rows back from the log. That read was ~35% of a merge's CPU (bench journal,
// 2026-12-02: 0.52 s of 1.4-1.6 s for a merge of 800k entry and 400k key rows), most of it
// in pread of log pages that hold whole rows when a merge needs three columns.
//
// Memory: ~24 bytes an entry row and ~16 bytes plus the key's text a key row, beside the
// unmerged tail (sqlite_journal_tail), for the same rows; bounded like it by unmerged_rows_max.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "persistence/sqlite/sqlite_schema.hpp"

namespace ledgerflow {

struct sqlite_unmerged_rows {
  struct entry_row {
    // The account's id as the unmerged tail holds it: a tail account state stays put while it
    // has unmerged rows, so for as long as this row exists (see sqlite_journal_tail).
    const std::string* account = nullptr;
    uint64_t seq = 0;
    int64_t pos = 0;
  };
  struct key_row {
    size_t offset = 0;  // of the key's text in key_text
    size_t size = 0;
    int64_t pos = 0;
  };

  std::vector<entry_row> entries;  // in pos order
  std::string key_text;            // the keys' texts, back to back
  std::vector<key_row> keys;       // in pos order

  void add_entry(const std::string& account, uint64_t seq, int64_t pos) { entries.push_back({&account, seq, pos}); }
  void add_key(std::string_view key, int64_t pos);
  std::string_view key(const key_row& row) const { return std::string_view(key_text).substr(row.offset, row.size); }

  // Moves out the rows at or below `up_to` (what a merge takes), leaving the later ones here.
  sqlite_unmerged_rows take_through(const sqlite_log_positions& up_to);
};

} // namespace ledgerflow
