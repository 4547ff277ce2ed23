// What every ledger actor shares: the journal (for reads), the writer, the account registry,
// the idempotency guard, the clock, the metrics and the configuration. Built once by the
// ledger service.
#pragma once

#include <memory>
#include <string>

#include <caf/actor.hpp>

#include "actors/account_registry.hpp"
#include "actors/idempotency_guard.hpp"
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
  std::shared_ptr<account_registry> accounts;
  std::shared_ptr<idempotency_guard> guard;
};

using ledger_context_ptr = std::shared_ptr<const ledger_context>;

} // namespace ledgerflow
