// The providers' part of /metrics, in Prometheus text format: each family once, with one
// series per provider.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "actors/providers/provider_gauges.hpp"

namespace ledgerflow {

void render_provider_metrics(std::string& out, const std::vector<std::shared_ptr<provider_gauges>>& providers);

} // namespace ledgerflow
