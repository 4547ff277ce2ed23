// Leases with epochs (fencing tokens) in the PostgreSQL journal's `leases` table, for the
// cluster: a node takes a lease on what it owns, renews it before it expires, and writes every
// batch with the lease's {name, epoch} as its fence (journal::append_fenced). Taking over a lease
// that expired (or was released) raises its epoch, and from then on the database refuses every
// batch fenced with an older epoch (journal_fenced), even one already on its way.
//
// Expiry is judged by the database server's clock, so nodes need no synchronised clocks. The
// epoch, not the expiry, decides who may write: a holder whose lease expired keeps writing
// until someone takes the lease over, which is safe because nobody else could write meanwhile.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "persistence/journal.hpp"
#include "persistence/postgresql/postgresql_pqxx.hpp"

namespace ledgerflow {

struct lease_grant {
  std::string name;
  std::string holder;
  uint64_t epoch = 0;
  int64_t expires_us = 0;  // unix microseconds, by the database server's clock

  journal_fence fence() const { return journal_fence{name, epoch}; }
};

class postgresql_leases {
public:
  // Connects (its own connection) and migrates the schema. Throws journal_error.
  explicit postgresql_leases(const std::string& url);
  ~postgresql_leases();

  // Takes the lease for `holder` unless another holder has it and it has not expired. A holder
  // that still has it keeps its epoch (and gets the new expiry); any other grant is a takeover
  // and raises the epoch. nullopt: someone else holds it.
  std::optional<lease_grant> acquire(const std::string& name, const std::string& holder, std::chrono::milliseconds ttl);
  // Extends the lease while `held` is still its holder and epoch; nullopt when it was taken over.
  std::optional<lease_grant> renew(const lease_grant& held, std::chrono::milliseconds ttl);
  // Ends the lease at once, so another holder may take it over without waiting for the expiry.
  // False when it had already been taken over.
  bool release(const lease_grant& held);
  // The lease as it stands (expired or not), nullopt when it was never granted.
  std::optional<lease_grant> current(const std::string& name);

private:
  template <class Work>
  auto run(const char* doing, Work&& work);

  const std::string url_;
  std::mutex mutex_;  // one statement at a time on the connection
  std::unique_ptr<pqxx::connection> connection_;
};

} // namespace ledgerflow
