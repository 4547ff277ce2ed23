// What every coordinator of one engine shares: the ledger, the journal writer (for the saga
// log), the providers, the clock, the flows and the metrics. Built once by the saga service;
// everything it points to outlives the coordinators.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include <caf/actor.hpp>

#include "actors/ledger_api.hpp"
#include "actors/providers/provider_service.hpp"
#include "protocols/clock.hpp"
#include "sagas/saga_definition.hpp"
#include "sagas/saga_metrics.hpp"

namespace ledgerflow {

struct saga_runtime {
  ledger_api* ledger = nullptr;
  caf::actor writer;
  provider_service* providers = nullptr;
  std::shared_ptr<const clock> time;
  flow_context_ptr flows;
  std::shared_ptr<saga_metrics> metrics;
  std::map<std::string, saga_definition> definitions;
  // Called (on a CAF thread) with each saga's record once its terminal state is durable; for
  // benchmarks and tests. Set before the service starts.
  std::function<void(const saga_record&)> on_terminal;

  const saga_definition* definition(const std::string& type) const {
    auto found = definitions.find(type);
    return found == definitions.end() ? nullptr : &found->second;
  }
};

using saga_runtime_ptr = std::shared_ptr<const saga_runtime>;

} // namespace ledgerflow
