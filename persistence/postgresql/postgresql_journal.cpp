#include "persistence/postgresql/postgresql_journal.hpp"

#include "persistence/key_filter.hpp"
#include "persistence/paged_scan.hpp"
#include "persistence/postgresql/postgresql_connection.hpp"
#include "persistence/postgresql/postgresql_journal_writer.hpp"
#include "persistence/postgresql/postgresql_reader_pool.hpp"
#include "persistence/postgresql/postgresql_rows.hpp"
#include "persistence/saga_log_sql.hpp"
#include "protocols/limits.hpp"

namespace ledgerflow {

namespace {

// Entries per page of scan_entries: bounds its memory and each statement's time.
constexpr size_t scan_page_entries_max = limits::entries_page_max;

int64_t as_limit(size_t limit) {
  return static_cast<int64_t>(std::min<size_t>(limit, static_cast<size_t>(std::numeric_limits<int64_t>::max())));
}

int64_t as_seq(uint64_t seq) {
  return static_cast<int64_t>(std::min<uint64_t>(seq, static_cast<uint64_t>(std::numeric_limits<int64_t>::max())));
}

} // namespace

std::unique_ptr<postgresql_journal> postgresql_journal::open(const std::string& url, postgresql_options options) {
  try {
    return std::unique_ptr<postgresql_journal>(new postgresql_journal(url, options));
  } catch (const journal_error& failure) {
    throw journal_error("cannot open the journal " + redact_postgresql_url(url) + ": " + failure.what());
  }
}

postgresql_journal::postgresql_journal(const std::string& url, const postgresql_options& options)
  : writer_(std::make_unique<postgresql_journal_writer>(url)),
    readers_(std::make_unique<postgresql_reader_pool>(url, options)) {
  last_seq("");  // a database the reads cannot use should fail here, not later
  load_keys();
}

// Reads every stored key into a filter sized for twice as many (at least filter_keys_min), so
// it stays sharp while the table grows; past that it only answers "maybe" more often.
void postgresql_journal::load_keys() {
  auto stored = readers_->run("count keys", [](pqxx::nontransaction& read) {
    return read.exec1("SELECT count(*) FROM idempotency")[0].as<int64_t>();
  });
  keys_ = std::make_unique<key_filter>(std::max<size_t>(filter_keys_min, static_cast<size_t>(stored) * 2));
  // Keyset pages bound the memory a big table costs at open.
  std::string after;
  for (bool more = true; more;) {
    more = readers_->run("load keys", [this, &after](pqxx::nontransaction& read) {
      auto rows = read.exec_params("SELECT key FROM idempotency WHERE key > $1 ORDER BY key LIMIT $2", after,
                                   static_cast<int64_t>(key_load_page_rows));
      for (const auto& row : rows)
        keys_->insert(std::string_view(row[0].c_str(), row[0].size()));
      if (!rows.empty())
        after = rows[rows.size() - 1][0].as<std::string>();
      return rows.size() == key_load_page_rows;
    });
  }
}

postgresql_journal::~postgresql_journal() = default;

void postgresql_journal::append(const append_batch& batch) {
  write(batch, nullptr);
}

void postgresql_journal::append_fenced(const append_batch& batch, const journal_fence& fence) {
  write(batch, &fence);
}

void postgresql_journal::write(const append_batch& batch, const journal_fence* fence) {
  std::lock_guard<std::mutex> guard(writer_mutex_);
  // Before the commit: a reader that sees the row also finds the key in the filter. A batch
  // that then fails leaves a false "maybe", which costs one lookup.
  for (const auto& record : batch.idempotency_records)
    keys_->insert(record.key);
  try {
    writer_->append(batch, fence);
  } catch (const journal_conflict&) {
    throw;  // the batch was wrong, not the storage
  } catch (const journal_fenced&) {
    throw;  // another node owns the lease now; this store is fine
  } catch (const journal_error&) {
    failed_ = true;
    throw;
  }
}

std::vector<journal_entry> postgresql_journal::read_entries(const std::string& account, uint64_t after_seq,
                                                            size_t limit) {
  if (limit == 0)
    return {};
  return readers_->run("read_entries", [&](pqxx::nontransaction& read) {
    std::vector<journal_entry> entries;
    for (const auto& row : read.exec_prepared("read_entries", account, as_seq(after_seq), as_limit(limit)))
      entries.push_back(postgresql_entry_from_row(row));
    return entries;
  });
}

uint64_t postgresql_journal::last_seq(const std::string& account) {
  return readers_->run("last_seq", [&](pqxx::nontransaction& read) {
    return static_cast<uint64_t>(read.exec_prepared1("last_seq", account)[0].as<int64_t>());
  });
}

std::optional<account_snapshot> postgresql_journal::latest_snapshot(const std::string& account) {
  return readers_->run("latest_snapshot", [&](pqxx::nontransaction& read) -> std::optional<account_snapshot> {
    auto rows = read.exec_prepared("latest_snapshot", account);
    if (rows.empty())
      return std::nullopt;
    return postgresql_snapshot_from_row(rows[0]);
  });
}

std::optional<idempotency_record> postgresql_journal::find_idempotency(const std::string& key) {
  if (!keys_->may_contain(key))
    return std::nullopt;
  return readers_->run("find_idempotency", [&](pqxx::nontransaction& read) -> std::optional<idempotency_record> {
    auto rows = read.exec_prepared("find_idempotency", key);
    if (rows.empty())
      return std::nullopt;
    return postgresql_record_from_row(rows[0]);
  });
}

std::vector<inflight_leg> postgresql_journal::inflight_legs() {
  return readers_->run("inflight_legs", [&](pqxx::nontransaction& read) {
    std::vector<inflight_leg> legs;
    for (const auto& row : read.exec_prepared("inflight_legs"))
      legs.push_back(postgresql_leg_from_row(row));
    return legs;
  });
}

std::optional<saga_record> postgresql_journal::find_saga(const std::string& id) {
  return readers_->run("find_saga", [&](pqxx::nontransaction& read) -> std::optional<saga_record> {
    auto rows = read.exec_prepared("find_saga", id);
    if (rows.empty())
      return std::nullopt;
    return postgresql_saga_from_row(rows[0]);
  });
}

std::vector<saga_record> postgresql_journal::list_sagas(const saga_filter& filter) {
  if (filter.limit == 0)
    return {};
  // The shape's statement takes the filter's set fields, in this order, then the limit.
  std::vector<std::string> values;
  for (const auto* value : {&filter.state, &filter.type, &filter.account})
    if (!value->empty())
      values.push_back(*value);
  auto statement = postgresql_list_sagas_statement(saga_filter_shape(filter));
  return readers_->run("list_sagas", [&](pqxx::nontransaction& read) {
    std::vector<saga_record> records;
    for (const auto& row :
         read.exec_prepared(statement, pqxx::prepare::make_dynamic_params(values), as_limit(filter.limit)))
      records.push_back(postgresql_saga_from_row(row));
    return records;
  });
}

std::vector<saga_record> postgresql_journal::unfinished_sagas() {
  return readers_->run("unfinished_sagas", [&](pqxx::nontransaction& read) {
    std::vector<saga_record> records;
    for (const auto& row : read.exec_prepared("unfinished_sagas"))
      records.push_back(postgresql_saga_from_row(row));
    return records;
  });
}

std::vector<saga_count> postgresql_journal::saga_counts() {
  return readers_->run("saga_counts", [&](pqxx::nontransaction& read) {
    std::vector<saga_count> counts;
    for (const auto& row : read.exec_prepared("saga_counts"))
      counts.push_back({row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<uint64_t>()});
    return counts;
  });
}

void postgresql_journal::scan_saga_ids(const std::function<void(const std::string&)>& visit) {
  readers_->run("saga_ids", [&](pqxx::nontransaction& read) {
    for (const auto& row : read.exec_prepared("saga_ids"))
      visit(row[0].as<std::string>());
    return true;
  });
}

std::vector<std::string> postgresql_journal::accounts() {
  return readers_->run("accounts", [&](pqxx::nontransaction& read) {
    std::vector<std::string> names;
    for (const auto& row : read.exec_prepared("accounts"))
      names.push_back(row[0].as<std::string>());
    return names;
  });
}

void postgresql_journal::scan_entries(const std::function<bool(const journal_entry&)>& visit) {
  auto fetch_page = [this](const std::string& account, uint64_t seq) {
    return readers_->run("scan_entries", [&](pqxx::nontransaction& read) {
      std::vector<journal_entry> entries;
      entries.reserve(scan_page_entries_max);
      for (const auto& row : read.exec_prepared("entries_after", account, as_seq(seq), as_limit(scan_page_entries_max)))
        entries.push_back(postgresql_entry_from_row(row));
      return entries;
    });
  };
  scan_in_pages(scan_page_entries_max, fetch_page, visit);
}

bool postgresql_journal::healthy() {
  return !failed_ && readers_->probe();
}

} // namespace ledgerflow
