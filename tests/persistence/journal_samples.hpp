// Sample entries, records, snapshots and legs for the journal conformance suite: every field
// set and derived from its key, so a test can rebuild what it expects to read back.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "persistence/journal.hpp"

namespace ledgerflow::samples {

// 2^64 + 1: the smallest kind of value that a 64-bit column would silently break.
inline constexpr minor_units beyond_64_bits = (static_cast<minor_units>(1) << 64) + 1;

inline journal_entry entry(const std::string& account, uint64_t seq) {
  journal_entry e;
  e.account = account;
  e.seq = seq;
  e.kind = static_cast<entry_kind>(1 + seq % 5);
  e.bucket = seq % 2 == 0 ? "banking/USD" : "investing/BTC";
  e.amount = static_cast<minor_units>(seq) * 100 + 7;
  e.available_after = static_cast<minor_units>(seq) * 1'000 - 3;
  e.held_after = static_cast<minor_units>(seq % 3) * 50;
  e.cause_kind = "transfer";
  e.cause_id = "t-" + account + "-" + std::to_string(seq);
  e.counterparty_account = seq % 3 == 0 ? "" : "system:clearing";  // empty must stay empty
  e.counterparty_bucket = seq % 3 == 0 ? "" : "banking/USD";
  e.hold_id = seq % 4 == 0 ? "hold-" + std::to_string(seq) : "";
  e.timestamp_us = 1'700'000'000'000'000 + static_cast<int64_t>(seq);
  return e;
}

// Entries first_seq .. first_seq + count - 1 of one account.
inline std::vector<journal_entry> entries(const std::string& account, uint64_t first_seq, size_t count) {
  std::vector<journal_entry> result;
  for (uint64_t seq = first_seq; seq < first_seq + count; ++seq)
    result.push_back(entry(account, seq));
  return result;
}

inline append_batch batch_of(std::vector<journal_entry> batch_entries) {
  append_batch batch;
  batch.entries = std::move(batch_entries);
  return batch;
}

inline void add(std::vector<journal_entry>& to, const std::vector<journal_entry>& more) {
  to.insert(to.end(), more.begin(), more.end());
}

inline idempotency_record record(const std::string& key, const std::string& response = "{\"ok\":true}") {
  return idempotency_record{key, "ab12" + key, response, 1'700'000'000'000'123};
}

inline account_snapshot snapshot(const std::string& account, uint64_t seq) {
  account_snapshot s;
  s.account = account;
  s.seq = seq;
  s.balances = {{"banking/USD", static_cast<minor_units>(seq) * 10, 5},
                {"investing/BTC", -beyond_64_bits, beyond_64_bits}};
  s.holds = {{"hold-a", "banking/USD", 5}, {"hold-b", "investing/BTC", beyond_64_bits}};
  return s;
}

inline inflight_leg leg(const std::string& transfer_id) {
  inflight_leg l;
  l.transfer_id = transfer_id;
  l.from_account = "user:alice";
  l.from_bucket = "banking/USD";
  l.from_seq = 3;
  l.to_account = "user:bob";
  l.to_bucket = "banking/USD";
  l.asset_code = "USD";
  l.amount = 1'250;
  l.idempotency_key = "key-" + transfer_id;
  l.request_hash = "ff00" + transfer_id;
  l.timestamp_us = 1'700'000'000'000'456;
  return l;
}

// A saga's record at `version`: every field set, the document naming the version, so a test
// can tell which version a store kept. Quotes and a backslash check the text is kept as is.
inline saga_record saga(const std::string& id, uint64_t version, const std::string& state = "running",
                        const std::string& type = "deposit_to_invest", const std::string& account = "user:alice",
                        int64_t created_us = 1'700'000'000'000'000) {
  saga_record r;
  r.id = id;
  r.type = type;
  r.state = state;
  r.account = account;
  r.idempotency_key = "key-" + id;
  r.request_hash = "cd34" + id;
  r.version = version;
  r.created_us = created_us;
  r.updated_us = created_us + static_cast<int64_t>(version) * 1'000;
  r.document = "{\"id\":\"" + id + "\",\"version\":" + std::to_string(version) + ",\"note\":\"a \\\\ b\"}";
  return r;
}

} // namespace ledgerflow::samples
