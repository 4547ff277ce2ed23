#include "persistence/sqlite/sqlite_journal.hpp"

#include <algorithm>
#include <filesystem>
#include <iterator>
#include <system_error>

#include "persistence/paged_scan.hpp"
#include "persistence/sqlite/sqlite_journal_writer.hpp"
#include "persistence/sqlite/sqlite_reader_pool.hpp"
#include "protocols/limits.hpp"

namespace ledgerflow {

namespace {

// Entries per page of scan_entries: bounds its memory and how long it holds a connection.
constexpr size_t scan_page_entries_max = limits::entries_page_max;

void create_parent_directory(const std::string& path) {
  auto parent = std::filesystem::path(path).parent_path();
  if (parent.empty())
    return;
  std::error_code failure;
  std::filesystem::create_directories(parent, failure);
  if (failure)
    throw journal_error("cannot create its directory " + parent.string() + ": " + failure.message());
}

// The row the tail says sits at `pos`; anything else there means the file changed under us.
journal_entry unmerged_entry(sqlite_journal_reader& reader, const std::string& account, uint64_t seq, int64_t pos) {
  auto entry = reader.entry_at(pos);
  if (entry.account != account || entry.seq != seq)
    throw journal_error("sqlite: corrupt entries: pos " + std::to_string(pos) + " holds " + entry.account + " seq "
                        + std::to_string(entry.seq) + ", not " + account + " seq " + std::to_string(seq));
  return entry;
}

bool comes_before(const journal_entry& entry, const sqlite_journal_tail::account_entry_position& position) {
  return entry.account < position.account || (entry.account == position.account && entry.seq < position.seq);
}

} // namespace

std::unique_ptr<sqlite_journal> sqlite_journal::open(const std::string& path, sqlite_options options) {
  if (options.read_connections_max == 0)
    throw journal_error("sqlite: read_connections_max must be at least 1");
  if (options.idempotency_filter_keys > options.idempotency_filter_keys_max)
    throw journal_error("sqlite: idempotency_filter_keys must not exceed idempotency_filter_keys_max");
  try {
    create_parent_directory(path);
    return std::unique_ptr<sqlite_journal>(new sqlite_journal(path, options));
  } catch (const journal_error& failure) {
    throw journal_error("cannot open the journal " + path + ": " + failure.what());
  }
}

sqlite_journal::sqlite_journal(std::string path, const sqlite_options& options)
  : path_(std::move(path)),
    tail_(options.head_cache_accounts_max),
    writer_(std::make_unique<sqlite_journal_writer>(path_, options, tail_)),
    readers_(std::make_unique<sqlite_reader_pool>(path_, options)) {
  readers_->acquire()->probe();  // a file the reads cannot open should fail here, not later
}

sqlite_journal::~sqlite_journal() = default;

void sqlite_journal::append(const append_batch& batch) {
  std::lock_guard<std::mutex> guard(writer_mutex_);
  try {
    writer_->append(batch);
  } catch (const journal_conflict&) {
    throw;  // the batch was wrong, not the storage
  } catch (const journal_error&) {
    failed_ = true;
    throw;
  }
}

// Every read below copies what it needs of the tail FIRST and reads the index after (only up
// to the log position the copy reaches), and drops a tail row the index already returned: see
// sqlite_journal_tail.hpp for why that neither misses nor repeats a row, nor shows part of a
// batch, when a merge runs in between.

std::vector<journal_entry> sqlite_journal::read_entries(const std::string& account, uint64_t after_seq,
                                                        size_t limit) {
  int64_t visible_up_to = 0;
  auto unmerged = tail_.entries_of(account, after_seq, limit, visible_up_to);
  auto reader = readers_->acquire();
  auto entries = reader->read_entries(account, after_seq, limit, visible_up_to);
  // Fewer than `limit` from the index means it has no more of them: the tail continues.
  uint64_t last = entries.empty() ? after_seq : entries.back().seq;
  for (const auto& position : unmerged) {
    if (entries.size() >= limit)
      break;
    if (position.seq <= last)
      continue;
    entries.push_back(unmerged_entry(*reader, account, position.seq, position.pos));
    last = position.seq;
  }
  return entries;
}

uint64_t sqlite_journal::last_seq(const std::string& account) {
  int64_t visible_up_to = 0;
  auto unmerged = tail_.last_seq(account, visible_up_to);
  auto merged = readers_->acquire()->last_seq(account, visible_up_to);
  return std::max(unmerged.value_or(0), merged);
}

std::optional<account_snapshot> sqlite_journal::latest_snapshot(const std::string& account) {
  return readers_->acquire()->latest_snapshot(account);
}

// The guard asks this for every new transfer, and a new key is the common case: the tail and
// the filter over the merged keys answer that from memory, without a connection.
std::optional<idempotency_record> sqlite_journal::find_idempotency(const std::string& key) {
  auto location = tail_.locate_key(key);
  for (auto pos : location.unmerged_positions) {
    // The row at that pos is the record, whether or not a merge has indexed it since; a row
    // with another key only shares the key's hash.
    auto record = readers_->acquire()->idempotency_at(pos);
    if (record.key == key)
      return record;
  }
  if (!location.maybe_merged)
    return std::nullopt;
  return readers_->acquire()->find_idempotency(key);
}

std::vector<inflight_leg> sqlite_journal::inflight_legs() {
  return readers_->acquire()->inflight_legs();
}

// The saga log has no tail: the append writes its rows in place, indexes and all.
std::optional<saga_record> sqlite_journal::find_saga(const std::string& id) {
  return readers_->acquire()->sagas().find(id);
}

std::vector<saga_record> sqlite_journal::list_sagas(const saga_filter& filter) {
  return readers_->acquire()->sagas().list(filter);
}

std::vector<saga_record> sqlite_journal::unfinished_sagas() {
  return readers_->acquire()->sagas().unfinished();
}

void sqlite_journal::scan_saga_ids(const std::function<void(const std::string&)>& visit) {
  readers_->acquire()->sagas().ids(visit);
}

std::vector<saga_count> sqlite_journal::saga_counts() {
  return readers_->acquire()->sagas().counts();
}

std::vector<std::string> sqlite_journal::accounts() {
  auto unmerged = tail_.accounts();
  auto reader = readers_->acquire();
  std::vector<std::string> merged;
  // Starts below every id: an account is never empty (the writer refuses that).
  for (auto account = reader->next_account(""); account; account = reader->next_account(merged.back()))
    merged.push_back(std::move(*account));
  std::vector<std::string> result;
  result.reserve(merged.size() + unmerged.size());
  std::set_union(merged.begin(), merged.end(), unmerged.begin(), unmerged.end(), std::back_inserter(result));
  return result;
}

void sqlite_journal::scan_entries(const std::function<bool(const journal_entry&)>& visit) {
  scan_in_pages(
    scan_page_entries_max, [this](const std::string& account, uint64_t seq) { return scan_page(account, seq); }, visit);
}

// The first scan_page_entries_max entries after (account, seq) of index and tail together:
// both come sorted by (account, seq), so this is the merge step of a merge sort.
std::vector<journal_entry> sqlite_journal::scan_page(const std::string& account, uint64_t seq) {
  int64_t visible_up_to = 0;
  auto unmerged = tail_.entries_after(account, seq, scan_page_entries_max, visible_up_to);
  auto reader = readers_->acquire();
  auto merged = reader->entries_after(account, seq, scan_page_entries_max, visible_up_to);
  std::vector<journal_entry> page;
  page.reserve(scan_page_entries_max);
  auto next_merged = merged.begin();
  auto next_unmerged = unmerged.begin();
  while (page.size() < scan_page_entries_max && (next_merged != merged.end() || next_unmerged != unmerged.end())) {
    bool take_merged = next_unmerged == unmerged.end()
                       || (next_merged != merged.end() && comes_before(*next_merged, *next_unmerged));
    if (take_merged) {
      page.push_back(std::move(*next_merged++));
      continue;
    }
    if (next_merged != merged.end() && next_merged->account == next_unmerged->account
        && next_merged->seq == next_unmerged->seq) {
      ++next_unmerged;  // merged since the tail was copied: the index row is the same row
      continue;
    }
    page.push_back(unmerged_entry(*reader, next_unmerged->account, next_unmerged->seq, next_unmerged->pos));
    ++next_unmerged;
  }
  return page;
}

void sqlite_journal::finish_index_merge() {
  std::lock_guard<std::mutex> guard(writer_mutex_);
  try {
    writer_->finish_index_merge();
  } catch (const journal_error&) {
    failed_ = true;
    throw;
  }
}

bool sqlite_journal::healthy() {
  if (failed_)
    return false;
  try {
    readers_->acquire()->probe();
    return true;
  } catch (const journal_error&) {
    return false;
  }
}

} // namespace ledgerflow
