// GET /healthz, /readyz and /metrics: answered at once, without the ledger's actors.
#pragma once

#include "actors/ledger_api.hpp"
#include "actors/providers/provider_api.hpp"
#include "sagas/saga_api.hpp"
#include "gateway/gateway_metrics.hpp"
#include "gateway/route_context.hpp"

namespace ledgerflow {

class probe_handlers {
public:
  probe_handlers(const ledger_api& ledger, const provider_api* providers, const saga_api* sagas,
                 const gateway_metrics& metrics)
    : ledger_(ledger), providers_(providers), sagas_(sagas), metrics_(metrics) {}

  // 200 {"status":"ok"} whenever the process can answer at all.
  void healthz(route_context& context) const;
  // 200 {"status":"ready"} once storage is open and recovery done, and while it answers;
  // else 503 unavailable.
  void readyz(route_context& context) const;
  // Prometheus text: the gateway's counters, then the ledger's, then the providers'.
  void metrics(route_context& context) const;

private:
  const ledger_api& ledger_;
  const provider_api* providers_;  // may be null
  const saga_api* sagas_;           // may be null
  const gateway_metrics& metrics_;
};

} // namespace ledgerflow
