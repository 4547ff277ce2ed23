// Tunables of the actor layer; defaults come from protocols/limits.hpp, config may override.
#pragma once

#include <cstddef>
#include <cstdint>

#include "protocols/limits.hpp"

namespace ledgerflow {

struct ledger_config {
  size_t batch_entries_max = limits::batch_entries_max;
  uint64_t snapshot_every_entries = limits::snapshot_every_entries;
  uint32_t account_idle_passivate_ms = limits::account_idle_passivate_ms;
  uint32_t command_timeout_ms = limits::command_timeout_ms;
  size_t registry_shards = 16;  // lock shards of the account table
  size_t idempotency_shards = 16;  // lock shards of the key table
  std::string node_id = "node-1";
};

} // namespace ledgerflow
