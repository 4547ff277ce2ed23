#include "bench/journal_bench.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <random>
#include <stdexcept>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/latency_stats.hpp"
#include "bench/raw_sqlite_baseline.hpp"
#include "persistence/sqlite/sqlite_index_merger.hpp"
#include "persistence/sqlite/sqlite_journal.hpp"
#include "protocols/transfer.hpp"

namespace ledgerflow {

namespace {

using steady = std::chrono::steady_clock;

constexpr const char* bench_bucket = "banking/USD";
constexpr const char* bench_asset = "USD";
constexpr const char* transfer_cause = "transfer";
constexpr minor_units opening_balance = 1'000'000'000'000;
constexpr size_t progress_every_batches = 200;

std::string hex_of(uint64_t value, size_t digits) {
  static constexpr char alphabet[] = "0123456789abcdef";
  std::string text(digits, '0');
  for (size_t i = digits; i-- > 0; value >>= 4)
    text[i] = alphabet[value & 0xf];
  return text;
}

// splitmix64: cheap, well-mixed stand-in bits for request hashes.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15u;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
  return x ^ (x >> 31);
}

// One transfer as the account actors would describe it to the writer.
struct bench_transfer {
  std::string transfer_id;
  std::string idempotency_key;
  std::string request_hash;
  size_t from = 0;
  size_t to = 0;
  minor_units amount = 0;
  uint64_t from_seq = 0;
  int64_t timestamp_us = 0;
};

// Makes the batches the journal writer would hand to append(): each transfer's debit and
// credit continue their accounts' sequences and balances, and a transfer whose credit leg
// misses the batch leaves an in-flight marker that the next batch closes.
class batch_maker {
public:
  batch_maker(size_t accounts, size_t batch_transfers, double straddling_percent, bool random_keys)
    : batch_transfers_(batch_transfers),
      straddling_per_batch_(static_cast<size_t>(static_cast<double>(batch_transfers) * straddling_percent / 100.0)),
      random_keys_(random_keys),
      random_(20'240'601) {
    if (accounts < 2)
      throw std::runtime_error("the journal benchmark needs at least 2 accounts");
    run_id_ = hex_of(random_(), 16);
    for (size_t index = 0; index < accounts; ++index)
      accounts_.push_back({"user:bench" + std::to_string(index), 0, opening_balance});
  }

  // The next batch, and how many transfers it completes (their idempotency records).
  size_t next(append_batch& batch) {
    batch.clear();
    size_t completed = 0;
    for (auto& transfer : straddling_) {
      add_credit(batch, transfer);
      batch.closed_transfer_ids.push_back(transfer.transfer_id);
      ++completed;
    }
    straddling_.clear();
    for (size_t index = completed; index < batch_transfers_; ++index) {
      auto transfer = make_transfer();
      add_debit(batch, transfer);
      if (batch_transfers_ - index <= straddling_per_batch_) {
        batch.opened_legs.push_back(leg_of(transfer));
        straddling_.push_back(std::move(transfer));
        continue;
      }
      add_credit(batch, transfer);
      ++completed;
    }
    return completed;
  }

private:
  struct account {
    std::string id;
    uint64_t seq = 0;
    minor_units available = 0;
  };

  bench_transfer make_transfer() {
    bench_transfer transfer;
    ++counter_;
    transfer.transfer_id = "tr_" + run_id_ + "0_" + std::to_string(counter_);
    if (random_keys_) {
      transfer.idempotency_key = "idem-" + hex_of(random_(), 16) + hex_of(random_(), 16);
    } else {
      char key[40];
      std::snprintf(key, sizeof(key), "idem-%s-%09llu", run_id_.c_str(), static_cast<unsigned long long>(counter_));
      transfer.idempotency_key = key;
    }
    for (uint64_t part = 0; part < 4; ++part)
      transfer.request_hash += hex_of(mix(counter_ * 4 + part), 16);
    transfer.from = random_() % accounts_.size();
    transfer.to = (transfer.from + 1 + random_() % (accounts_.size() - 1)) % accounts_.size();
    transfer.amount = static_cast<minor_units>(1 + random_() % 100'000);
    transfer.timestamp_us = std::chrono::duration_cast<std::chrono::microseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
    return transfer;
  }

  journal_entry leg_entry(account& owner, entry_kind kind, const bench_transfer& transfer, const account& other) {
    journal_entry entry;
    entry.account = owner.id;
    entry.seq = ++owner.seq;
    entry.kind = kind;
    entry.bucket = bench_bucket;
    entry.amount = transfer.amount;
    owner.available += kind == entry_kind::credit ? transfer.amount : -transfer.amount;
    entry.available_after = owner.available;
    entry.cause_kind = transfer_cause;
    entry.cause_id = transfer.transfer_id;
    entry.counterparty_account = other.id;
    entry.counterparty_bucket = bench_bucket;
    entry.timestamp_us = transfer.timestamp_us;
    return entry;
  }

  void add_debit(append_batch& batch, bench_transfer& transfer) {
    batch.entries.push_back(leg_entry(accounts_[transfer.from], entry_kind::debit, transfer, accounts_[transfer.to]));
    transfer.from_seq = batch.entries.back().seq;
  }

  void add_credit(append_batch& batch, const bench_transfer& transfer) {
    auto& to = accounts_[transfer.to];
    batch.entries.push_back(leg_entry(to, entry_kind::credit, transfer, accounts_[transfer.from]));
    transfer_receipt receipt{transfer.transfer_id, accounts_[transfer.from].id, bench_bucket, transfer.from_seq,
                             to.id, bench_bucket, to.seq, bench_asset, transfer.amount, transfer.timestamp_us};
    batch.idempotency_records.push_back(
      {transfer.idempotency_key, transfer.request_hash, encode_receipt(receipt), transfer.timestamp_us});
  }

  inflight_leg leg_of(const bench_transfer& transfer) const {
    return {transfer.transfer_id, accounts_[transfer.from].id, bench_bucket, transfer.from_seq,
            accounts_[transfer.to].id, bench_bucket, bench_asset, transfer.amount, transfer.idempotency_key,
            transfer.request_hash, transfer.timestamp_us};
  }

  const size_t batch_transfers_;
  const size_t straddling_per_batch_;
  bool random_keys_ = false;
  std::mt19937_64 random_;
  std::string run_id_;
  std::vector<account> accounts_;
  std::vector<bench_transfer> straddling_;
  uint64_t counter_ = 0;
};

struct journal_figures {
  uint64_t transfers = 0;
  uint64_t entries = 0;
  uint64_t batches = 0;
  double append_s = 0;  // time inside append(): what the writer thread spends
  double wall_s = 0;
  std::vector<float> append_ms;
};

journal_figures measure_journal(const journal_bench_options& options, const sqlite_options& sqlite) {
  auto path = options.work_dir + "/bench-journal.db";
  for (auto suffix : {"", "-wal", "-shm", "-index", "-index-wal", "-index-shm"})
    std::filesystem::remove(path + suffix);
  auto journal = sqlite_journal::open(path, sqlite);
  batch_maker maker(options.accounts, options.batch_transfers, options.straddling_percent, options.random_keys);
  journal_figures figures;
  append_batch batch;
  auto started = steady::now();
  auto deadline = started + std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(options.duration_s));
  while (steady::now() < deadline) {
    auto completed = maker.next(batch);
    auto before = steady::now();
    journal->append(batch);
    auto took = std::chrono::duration<double>(steady::now() - before).count();
    figures.append_s += took;
    figures.append_ms.push_back(static_cast<float>(took * 1e3));
    figures.transfers += completed;
    figures.entries += batch.entries.size();
    if (++figures.batches % progress_every_batches == 0)
      std::cerr << "bench journal: " << figures.transfers << " transfers in " << figures.batches << " batches, "
                << std::lround(static_cast<double>(figures.transfers) / figures.append_s) << "/s inside append\n";
  }
  figures.wall_s = std::chrono::duration<double>(steady::now() - started).count();
  return figures;
}

} // namespace

int run_journal_bench(const journal_bench_options& options, const sqlite_options& configured) {
  auto sqlite = configured;
  if (options.index_merge_rows > 0)
    sqlite.index_merge_rows = options.index_merge_rows;
  if (options.index_merge_chunk_rows > 0)
    sqlite.index_merge_chunk_rows = options.index_merge_chunk_rows;
  if (options.index_merge_inline)
    sqlite.index_merge_background = false;
  try {
    std::filesystem::create_directories(options.work_dir);
    std::cerr << "bench journal: " << options.batch_transfers << " transfers a batch over " << options.accounts
              << " accounts for " << options.duration_s << " s (synchronous " << to_string(sqlite.synchronous)
              << ", index merge every " << sqlite.index_merge_rows << " rows "
              << (sqlite.index_merge_background ? "in the background" : "on the appending thread") << ")\n";
    auto merged_before = read_sqlite_merge_totals();
    auto figures = measure_journal(options, sqlite);
    // After the journal closed: its last merge has finished.
    auto merged_after = read_sqlite_merge_totals();
    auto merged_rows = merged_after.rows - merged_before.rows;
    auto merge_cpu_s = static_cast<double>(merged_after.merge_cpu_ns - merged_before.merge_cpu_ns) / 1e9;
    auto key_upkeep_cpu_s =
      static_cast<double>(merged_after.key_upkeep_cpu_ns - merged_before.key_upkeep_cpu_ns) / 1e9;
    auto checkpoint_cpu_s =
      static_cast<double>(merged_after.checkpoint_cpu_ns - merged_before.checkpoint_cpu_ns) / 1e9;
    auto index_pages_written = merged_after.index_pages_written - merged_before.index_pages_written;
    std::cerr << "bench journal: raw SQLite ceiling with " << options.raw_rows_transfers << " transfers' rows\n";
    auto raw = measure_raw_sqlite(options.work_dir + "/bench-journal-raw.db", options.raw_rows_transfers,
                                  options.batch_transfers, sqlite);
    auto transfers_per_s = static_cast<double>(figures.transfers) / figures.append_s;
    auto entries_per_s = static_cast<double>(figures.entries) / figures.append_s;
    auto max_pause_ms = figures.append_ms.empty()
                          ? 0.0
                          : static_cast<double>(*std::max_element(figures.append_ms.begin(), figures.append_ms.end()));
    nlohmann::json out{
      {"bench", "journal"},
      {"transfers_per_s", std::round(transfers_per_s)},
      {"entries_per_s", std::round(entries_per_s)},
      {"wall_transfers_per_s", std::round(static_cast<double>(figures.transfers) / figures.wall_s)},
      {"batch_transfers", options.batch_transfers},
      {"batch_entries_avg", figures.batches ? static_cast<double>(figures.entries) / figures.batches : 0.0},
      {"commit_p50_ms", percentile(figures.append_ms, 0.50)},
      {"commit_p99_ms", percentile(figures.append_ms, 0.99)},
      {"max_pause_ms", max_pause_ms},
      {"raw_sqlite_transfers_per_s", std::round(raw.transfers_per_s)},
      {"raw_sqlite_rows_per_s", std::round(raw.rows_per_s)},
      {"ratio_to_raw", transfers_per_s / raw.transfers_per_s},
      {"transfers", figures.transfers},
      {"batches", figures.batches},
      {"accounts", options.accounts},
      {"straddling_percent", options.straddling_percent},
      {"duration_s", options.duration_s},
      {"synchronous", std::string(to_string(sqlite.synchronous))},
      {"index_merge_rows", sqlite.index_merge_rows},
      {"random_keys", options.random_keys},
      {"index_merge_background", sqlite.index_merge_background},
      {"index_merge_chunk_rows", sqlite.index_merge_chunk_rows},
      {"rows_per_transfer", 3},
      {"merged_rows", merged_rows},
      {"merge_cpu_s", merge_cpu_s},
      {"merge_us_per_row", merged_rows ? merge_cpu_s * 1e6 / static_cast<double>(merged_rows) : 0.0},
      {"key_upkeep_cpu_s", key_upkeep_cpu_s},
      {"checkpoint_cpu_s", checkpoint_cpu_s},
      // Index pages a merged row cost in writes (each page is written to the index WAL, then
      // again by a checkpoint): rows landing on fewer pages is what makes merges cheap.
      {"merge_index_pages_per_row",
       merged_rows ? static_cast<double>(index_pages_written) / static_cast<double>(merged_rows) : 0.0},
    };
    std::cout << out.dump() << std::endl;
    return 0;
  } catch (const std::exception& failure) {
    std::cerr << "bench journal: " << failure.what() << "\n";
    return 1;
  }
}

} // namespace ledgerflow
