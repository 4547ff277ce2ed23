// What every ledger actor shares: the journal (for reads), the writer, the registry shards,
// the clock, the metrics and the configuration. Built once by the ledger service.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>

#include "actors/ledger_config.hpp"
#include "actors/ledger_metrics.hpp"
#include "persistence/journal.hpp"
#include "protocols/asset_registry.hpp"
#include "protocols/clock.hpp"

namespace ledgerflow {

struct ledger_context {
  std::shared_ptr<journal> store;
  std::shared_ptr<const clock> time;
  std::shared_ptr<ledger_metrics> metrics;
  asset_registry assets;
  ledger_config config;
  caf::actor writer;
  caf::actor hub;
  std::vector<caf::actor> registry_shards;

  // The registry shard that owns an account: every command for it goes through there.
  const caf::actor& registry_for(const std::string& account) const {
    return registry_shards[std::hash<std::string>{}(account) % registry_shards.size()];
  }
};

using ledger_context_ptr = std::shared_ptr<const ledger_context>;

} // namespace ledgerflow
