// What the gateway and the benchmarks need from the ledger, with no CAF in sight.
// Callbacks run on a CAF worker thread: post them to your own executor before touching I/O.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "protocols/account_book.hpp"
#include "protocols/asset_registry.hpp"
#include "protocols/hold.hpp"
#include "protocols/journal_entry.hpp"
#include "protocols/outcome.hpp"
#include "protocols/transfer.hpp"

namespace ledgerflow {

struct account_view {
  std::string id;
  uint64_t seq = 0;
  std::vector<bucket_balance> balances;  // sorted by bucket
  std::vector<open_hold> holds;          // sorted by hold id
};

// The entries of one group commit, once durable, with the time the commit returned (unix
// microseconds: where commit-to-client latency starts). Shared by every listener, never copied.
struct durable_batch {
  std::vector<journal_entry> entries;
  int64_t durable_us = 0;
};
using durable_entries = std::shared_ptr<const durable_batch>;
using durable_listener = std::function<void(const durable_entries&)>;

class ledger_api {
public:
  template <class T>
  using callback = std::function<void(outcome<T>)>;

  virtual ~ledger_api() = default;

  // Moves money; validates ids, buckets and assets; idempotent by request.idempotency_key
  // (same key and payload: the first receipt; different payload: idempotency_mismatch).
  // Calls back only once both legs are durable.
  virtual void transfer(transfer_request request, callback<transfer_receipt> done) = 0;
  // Sets money aside, frees it, or captures it as the outgoing leg of a transfer (see
  // protocols/hold.hpp for the receipts). Idempotent by key like transfer; called back only
  // once durable (a post: once both legs are).
  virtual void hold(hold_request request, callback<transfer_receipt> done) = 0;
  virtual void release(release_request request, callback<transfer_receipt> done) = 0;
  virtual void post(post_request request, callback<transfer_receipt> done) = 0;
  virtual void get_account(std::string account, callback<account_view> done) = 0;
  virtual void get_entries(std::string account, uint64_t after_seq, size_t limit,
                           callback<std::vector<journal_entry>> done) = 0;

  // Calls `listener` with each batch of entries that becomes durable from now on, in commit
  // order, one call at a time, on a ledger thread. It must only queue work: never block,
  // never call the ledger back. It is called until the ledger stops.
  virtual void on_durable(durable_listener listener) = 0;

  // Storage open and recovery done.
  virtual bool ready() const = 0;
  // Whether storage answers now (a PostgreSQL server may be unreachable for a while; reads
  // retry with backoff meanwhile). May cost a round trip: for probes, not for every request.
  virtual bool storage_healthy() const { return true; }
  // Prometheus text exposition of the ledger's metrics.
  virtual std::string metrics_text() const = 0;
  virtual const asset_registry& assets() const = 0;
};

} // namespace ledgerflow
