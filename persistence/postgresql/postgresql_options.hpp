// Settings of the PostgreSQL journal; the defaults suit a node next to its database.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ledgerflow {

struct postgresql_options {
  size_t read_connections_max = 4;    // readers' pool; append() has a connection of its own
  uint32_t read_wait_ms_max = 5'000;  // for a free read connection, then journal_error
  // A read that loses its connection reconnects and runs again, up to this many attempts in
  // all, waiting retry_backoff_ms, then twice as long, and so on (5 attempts: 1.5 s of waits).
  size_t read_attempts_max = 5;
  uint32_t retry_backoff_ms = 100;
};

} // namespace ledgerflow
