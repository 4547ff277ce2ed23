#include "persistence/sqlite/sqlite_journal.hpp"

#include <filesystem>
#include <system_error>

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

} // namespace

std::unique_ptr<sqlite_journal> sqlite_journal::open(const std::string& path, sqlite_options options) {
  if (options.read_connections_max == 0)
    throw journal_error("sqlite: read_connections_max must be at least 1");
  try {
    create_parent_directory(path);
    return std::unique_ptr<sqlite_journal>(new sqlite_journal(path, options));
  } catch (const journal_error& failure) {
    throw journal_error("cannot open the journal " + path + ": " + failure.what());
  }
}

sqlite_journal::sqlite_journal(std::string path, const sqlite_options& options)
  : path_(std::move(path)),
    writer_(std::make_unique<sqlite_journal_writer>(path_, options)),
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

std::vector<journal_entry> sqlite_journal::read_entries(const std::string& account, uint64_t after_seq,
                                                        size_t limit) {
  return readers_->acquire()->read_entries(account, after_seq, limit);
}

uint64_t sqlite_journal::last_seq(const std::string& account) {
  return readers_->acquire()->last_seq(account);
}

std::optional<account_snapshot> sqlite_journal::latest_snapshot(const std::string& account) {
  return readers_->acquire()->latest_snapshot(account);
}

std::optional<idempotency_record> sqlite_journal::find_idempotency(const std::string& key) {
  return readers_->acquire()->find_idempotency(key);
}

std::vector<inflight_leg> sqlite_journal::inflight_legs() {
  return readers_->acquire()->inflight_legs();
}

std::vector<std::string> sqlite_journal::accounts() {
  auto reader = readers_->acquire();
  std::vector<std::string> result;
  // Starts below every id: an account is never empty (the writer refuses that).
  for (auto account = reader->next_account(""); account; account = reader->next_account(result.back()))
    result.push_back(std::move(*account));
  return result;
}

void sqlite_journal::scan_entries(const std::function<bool(const journal_entry&)>& visit) {
  std::string account;
  uint64_t seq = 0;
  while (true) {
    auto page = readers_->acquire()->entries_after(account, seq, scan_page_entries_max);
    for (const auto& entry : page)
      if (!visit(entry))
        return;
    if (page.size() < scan_page_entries_max)
      return;
    account = page.back().account;
    seq = page.back().seq;
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
