// The journal: the durable record of every entry, idempotency record and snapshot.
// Implementations (SQLite, PostgreSQL) pass one conformance suite (tests/persistence).
//
// Threading: append() is called by one thread at a time (the journal writer); the read
// functions may be called from any thread, concurrently with append().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "protocols/account_book.hpp"
#include "protocols/journal_entry.hpp"
#include "protocols/saga_record.hpp"

namespace ledgerflow {

// The stored answer to a command from outside, keyed by its idempotency key.
struct idempotency_record {
  std::string key;
  std::string request_hash;  // hex SHA-256 of the canonical request
  std::string response;      // the first response body, returned again on a repeat
  int64_t created_us = 0;
  bool operator==(const idempotency_record& other) const {
    return key == other.key && request_hash == other.request_hash && response == other.response
           && created_us == other.created_us;
  }
};

// A fencing token: the lease a writer holds and the epoch it got it at (see append_fenced).
struct journal_fence {
  std::string lease;
  uint64_t epoch = 0;
};

// Everything one group commit writes, in one transaction.
struct append_batch {
  std::vector<journal_entry> entries;
  std::vector<idempotency_record> idempotency_records;
  std::vector<account_snapshot> snapshots;
  std::vector<inflight_leg> opened_legs;        // outgoing legs whose incoming leg is pending
  std::vector<std::string> closed_transfer_ids;  // their incoming legs, now in this batch
  // The saga log: each saga's newest record replaces its older ones (by version; a record
  // with a version not above the stored one changes nothing) in its state, version, update
  // time and document; type, account, key, request hash and start are those of its first
  // record (a saga's id derives from its key, so they never change). One saga may appear
  // several times in a batch; the highest version wins.
  std::vector<saga_record> saga_records;
  bool empty() const {
    return entries.empty() && idempotency_records.empty() && snapshots.empty() && opened_legs.empty()
           && closed_transfer_ids.empty() && saga_records.empty();
  }
  void clear() {
    entries.clear();
    idempotency_records.clear();
    snapshots.clear();
    opened_legs.clear();
    closed_transfer_ids.clear();
    saga_records.clear();
  }
};

// A storage failure. Thrown by implementations; a failed append means the node must stop
// (fail-stop), because what was optimistically applied is not durable.
class journal_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// A primary-key or sequence conflict: the append would create a gap or a duplicate.
class journal_conflict : public journal_error {
public:
  using journal_error::journal_error;
};

// The batch carried a fence whose lease has since moved to a newer epoch (or never existed):
// another node owns the accounts now. Nothing of the batch was written.
class journal_fenced : public journal_error {
public:
  using journal_error::journal_error;
};

class journal {
public:
  virtual ~journal() = default;

  // Writes the whole batch in one durable transaction, or nothing. Each account's entries
  // must continue its sequence with no gap and no duplicate (else journal_conflict).
  virtual void append(const append_batch& batch) = 0;
  // append(), in the same transaction, only while the lease `fence` names is still at its
  // epoch: otherwise journal_fenced and nothing is written, so a node that lost its lease can
  // never write. The database decides, as the batch commits. Stores without leases (SQLite,
  // single node) throw journal_error rather than write unchecked.
  virtual void append_fenced(const append_batch& batch, const journal_fence& fence) {
    (void)batch;
    throw journal_error("append: this journal store has no leases and cannot check the fence of " + fence.lease
                        + "; fencing needs PostgreSQL");
  }

  // Entries of one account with seq > after_seq, in order, at most `limit`.
  virtual std::vector<journal_entry> read_entries(const std::string& account, uint64_t after_seq,
                                                  size_t limit) = 0;
  // The highest seq written for the account (0 when none).
  virtual uint64_t last_seq(const std::string& account) = 0;
  virtual std::optional<account_snapshot> latest_snapshot(const std::string& account) = 0;
  virtual std::optional<idempotency_record> find_idempotency(const std::string& key) = 0;
  virtual std::vector<inflight_leg> inflight_legs() = 0;

  // The saga log (see append_batch::saga_records): one saga's newest record, the sagas a
  // filter selects, every saga not in a terminal state (for recovery, any order), and how
  // many sagas each (type, state) pair has.
  virtual std::optional<saga_record> find_saga(const std::string& id) = 0;
  virtual std::vector<saga_record> list_sagas(const saga_filter& filter) = 0;
  virtual std::vector<saga_record> unfinished_sagas() = 0;
  virtual std::vector<saga_count> saga_counts() = 0;
  // Every saga id (for the engine's filter of used start keys, once at start). The default
  // reads whole records; the stores read the ids alone.
  virtual void scan_saga_ids(const std::function<void(const std::string&)>& visit) {
    saga_filter everything;
    everything.limit = static_cast<size_t>(-1);
    for (const auto& record : list_sagas(everything))
      visit(record.id);
  }

  // Every account that has entries, in id order (for check and tooling).
  virtual std::vector<std::string> accounts() = 0;
  // Streams every entry, grouped by account and in seq order; stops when `visit` returns false.
  virtual void scan_entries(const std::function<bool(const journal_entry&)>& visit) = 0;

  // Whether storage is open and answering.
  virtual bool healthy() = 0;
};

} // namespace ledgerflow
