#include "bench/naive_sql_baseline.hpp"

#include <atomic>
#include <chrono>
#include <iostream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "bench/latency_stats.hpp"
#include "persistence/postgresql/postgresql_connection.hpp"

namespace ledgerflow {

namespace {

using steady = std::chrono::steady_clock;

// What such a service's schema looks like: a balance row per account, entries, idempotency keys.
constexpr const char* schema_sql = R"sql(
CREATE TABLE balances (account text PRIMARY KEY, available numeric(39, 0) NOT NULL, seq bigint NOT NULL);
CREATE TABLE entries (
  account text NOT NULL, seq bigint NOT NULL, kind smallint NOT NULL, amount numeric(39, 0) NOT NULL,
  available_after numeric(39, 0) NOT NULL, transfer_id text NOT NULL, counterparty text NOT NULL,
  ts_us bigint NOT NULL, PRIMARY KEY (account, seq));
CREATE TABLE idempotency (key text PRIMARY KEY, response text NOT NULL, created_us bigint NOT NULL);
)sql";

std::string account_name(size_t index) {
  return "user:bench" + std::to_string(index);
}

void prepare(pqxx::connection& connection) {
  connection.prepare("lock", "SELECT available, seq FROM balances WHERE account = $1 FOR UPDATE");
  connection.prepare("update", "UPDATE balances SET available = $2, seq = $3 WHERE account = $1");
  connection.prepare("entries",
                     "INSERT INTO entries (account, seq, kind, amount, available_after, transfer_id, counterparty, ts_us)"
                     " VALUES ($1, $2, 2, $3, $4, $5, $6, $7), ($6, $8, 1, $3, $9, $5, $1, $7)");
  connection.prepare("idempotency", "INSERT INTO idempotency (key, response, created_us) VALUES ($1, $2, $3)");
}

struct balance_row {
  int64_t available = 0;
  int64_t seq = 0;
};

balance_row lock_row(pqxx::work& transaction, const std::string& account) {
  auto row = transaction.exec_prepared1("lock", account);
  return balance_row{row[0].as<int64_t>(), row[1].as<int64_t>()};
}

int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
    .count();
}

// One transfer of 1 minor unit, as its own transaction. False when the payer lacks the funds.
bool transfer(pqxx::connection& connection, const std::string& from, const std::string& to, const std::string& key) {
  pqxx::work transaction(connection);
  // In account order, so two transfers between the same pair never deadlock.
  bool from_first = from < to;
  auto first = lock_row(transaction, from_first ? from : to);
  auto second = lock_row(transaction, from_first ? to : from);
  auto payer = from_first ? first : second;
  auto payee = from_first ? second : first;
  if (payer.available < 1)
    return false;
  payer.available -= 1;
  payee.available += 1;
  transaction.exec_prepared0("update", from, payer.available, payer.seq + 1);
  transaction.exec_prepared0("update", to, payee.available, payee.seq + 1);
  auto ts = now_us();
  transaction.exec_prepared0("entries", from, payer.seq + 1, 1, payer.available, key, to, ts, payee.seq + 1,
                             payee.available);
  transaction.exec_prepared0("idempotency", key, "{\"transfer_id\":\"" + key + "\"}", ts);
  transaction.commit();
  return true;
}

void create_schema(const naive_sql_options& options) {
  auto connection = connect_postgresql(options.url, "bench naive");
  pqxx::nontransaction(*connection)
    .exec0("DROP SCHEMA IF EXISTS " + options.schema + " CASCADE; CREATE SCHEMA " + options.schema);
  auto in_schema = connect_postgresql(postgresql_url_with_schema(options.url, options.schema), "bench naive");
  pqxx::work setup(*in_schema);
  setup.exec0(schema_sql);
  setup.exec0("INSERT INTO balances (account, available, seq) SELECT 'user:bench' || i, 100000000, 0"
              " FROM generate_series(0, " + std::to_string(options.accounts - 1) + ") i");
  setup.commit();
  pqxx::nontransaction(*in_schema).exec0("VACUUM ANALYZE balances");
}

struct client_run {
  std::atomic<bool> measuring{false};
  std::atomic<bool> stopping{false};
  std::atomic<uint64_t> completed{0};
  std::atomic<uint64_t> failed{0};
};

// SplitMix64, as the ledger bench's clients use.
uint64_t next_random(uint64_t& state) {
  uint64_t mixed = (state += 0x9e3779b97f4a7c15ull);
  mixed = (mixed ^ (mixed >> 30)) * 0xbf58476d1ce4e5b9ull;
  mixed = (mixed ^ (mixed >> 27)) * 0x94d049bb133111ebull;
  return mixed ^ (mixed >> 31);
}

void run_client(const std::string& url, size_t client, size_t accounts, client_run& run,
                std::vector<float>& latencies_ms) {
  auto connection = connect_postgresql(url, "bench naive");
  prepare(*connection);
  uint64_t random = client * 7919 + 17;
  uint64_t sequence = 0;
  auto prefix = "naive-" + std::to_string(client) + "-";
  while (!run.stopping.load(std::memory_order_relaxed)) {
    auto from = next_random(random) % accounts;
    auto to = (from + 1 + next_random(random) % (accounts - 1)) % accounts;
    auto started = steady::now();
    bool ok = false;
    try {
      ok = transfer(*connection, account_name(from), account_name(to), prefix + std::to_string(++sequence));
    } catch (const pqxx::broken_connection&) {
      throw;
    } catch (const std::exception&) {
      ok = false;
    }
    if (run.measuring.load(std::memory_order_relaxed)) {
      latencies_ms.push_back(std::chrono::duration<float, std::milli>(steady::now() - started).count());
      (ok ? run.completed : run.failed).fetch_add(1, std::memory_order_relaxed);
    }
  }
}

} // namespace

naive_sql_result measure_naive_sql(const naive_sql_options& options) {
  if (options.accounts < 2 || options.clients == 0)
    throw std::runtime_error("naive baseline: needs two accounts and a client");
  create_schema(options);
  auto url = postgresql_url_with_schema(options.url, options.schema);
  client_run run;
  std::vector<std::vector<float>> latencies(options.clients);
  std::vector<std::string> failures(options.clients);
  std::vector<std::thread> clients;
  for (size_t client = 0; client < options.clients; ++client)
    clients.emplace_back([&, client] {
      try {
        run_client(url, client, options.accounts, run, latencies[client]);
      } catch (const std::exception& failure) {
        failures[client] = failure.what();
      }
    });
  std::this_thread::sleep_for(std::chrono::duration<double>(options.warmup_s));
  run.measuring = true;
  auto started = steady::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(options.duration_s));
  run.measuring = false;
  auto elapsed = std::chrono::duration<double>(steady::now() - started).count();
  run.stopping = true;
  for (auto& client : clients)
    client.join();
  for (const auto& failure : failures)
    if (!failure.empty())
      throw std::runtime_error("naive baseline: a client failed: " + failure);
  std::vector<float> all;
  for (const auto& client : latencies)
    all.insert(all.end(), client.begin(), client.end());
  naive_sql_result result;
  result.completed = run.completed.load();
  result.failed = run.failed.load();
  result.transfers_per_s = static_cast<double>(result.completed) / elapsed;
  result.p50_ms = percentile(all, 0.50);
  result.p99_ms = percentile(all, 0.99);
  return result;
}

} // namespace ledgerflow
