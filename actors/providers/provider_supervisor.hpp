// The supervisor of one provider: the only way calls reach its adapter.
//
// - Bulkhead: at most `workers` attempts run at once, each on a worker actor; `queue_max`
//   more calls may wait; beyond that a call is refused at once (unavailable, bulkhead_full)
//   instead of piling up behind a hung provider.
// - Timeout per attempt, checked on a tick while attempts run. A timed-out attempt keeps its
//   worker busy until the adapter gives up; a worker stuck past a grace period is stopped and
//   replaced, as is a worker that crashed (the supervisor monitors every worker).
// - Retries of transient failures and timeouts only, with exponential backoff and jitter,
//   always with the call's own idempotency key, so the provider sees one operation.
// - Circuit breaker: every attempt asks it first and reports to it after.
//
// Protocol: see provider_messages.hpp. (provider_status_atom) answers a provider_status;
// (provider_breaker_atom, breaker_action) applies an operator's action and answers the status.
#pragma once

#include <memory>

#include <caf/fwd.hpp>

#include "actors/providers/provider_gauges.hpp"
#include "actors/providers/provider_settings.hpp"
#include "protocols/provider_adapter.hpp"

namespace ledgerflow {

caf::actor spawn_provider_supervisor(caf::actor_system& system, supervisor_settings settings,
                                     std::shared_ptr<provider_adapter> adapter,
                                     std::shared_ptr<provider_gauges> gauges);

} // namespace ledgerflow
