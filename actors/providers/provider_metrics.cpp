#include "actors/providers/provider_metrics.hpp"

#include <functional>

namespace ledgerflow {

namespace {

std::string provider_label(const provider_status& status) {
  return "provider=\"" + status.name + "\",kind=\"" + std::string(to_string(status.kind)) + "\"";
}

void family(std::string& out, const std::string& name, const char* type, const char* help) {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

void sample(std::string& out, const std::string& name, const std::string& labels, uint64_t value) {
  out += name + "{" + labels + "} " + std::to_string(value) + "\n";
}

using status_value = std::function<uint64_t(const provider_status&)>;

void simple_family(std::string& out, const std::vector<provider_status>& statuses, const std::string& name,
                   const char* type, const char* help, const status_value& value) {
  family(out, name, type, help);
  for (const auto& status : statuses)
    sample(out, name, provider_label(status), value(status));
}

} // namespace

void render_provider_metrics(std::string& out, const std::vector<std::shared_ptr<provider_gauges>>& providers) {
  std::vector<provider_status> statuses;
  for (const auto& provider : providers)
    statuses.push_back(provider->snapshot());

  family(out, "ledgerflow_provider_calls_total", "counter", "Provider calls by final outcome.");
  for (const auto& status : statuses)
    for (const auto& [outcome, value] : status.calls.by_outcome())
      sample(out, "ledgerflow_provider_calls_total", provider_label(status) + ",outcome=\"" + outcome + "\"", value);
  simple_family(out, statuses, "ledgerflow_provider_retries_total", "counter", "Attempts beyond a call's first.",
                [](const provider_status& s) { return s.calls.retries; });
  simple_family(out, statuses, "ledgerflow_provider_breaker_healthy", "gauge",
                "1 while the breaker lets calls flow (closed or disabled), else 0.",
                [](const provider_status& s) { return breaker_admits_traffic(s.breaker.state) ? 1u : 0u; });
  family(out, "ledgerflow_provider_breaker_state", "gauge", "1 for the breaker's current state.");
  for (const auto& status : statuses)
    for (auto state : {breaker_state::closed, breaker_state::open, breaker_state::half_open,
                       breaker_state::forced_open, breaker_state::disabled})
      sample(out, "ledgerflow_provider_breaker_state",
             provider_label(status) + ",state=\"" + std::string(to_string(state)) + "\"",
             state == status.breaker.state ? 1 : 0);
  simple_family(out, statuses, "ledgerflow_provider_breaker_transitions_total", "counter",
                "Changes of breaker state.", [](const provider_status& s) { return s.breaker.transitions; });
  simple_family(out, statuses, "ledgerflow_provider_in_flight", "gauge", "Attempts running on a worker.",
                [](const provider_status& s) { return s.in_flight; });
  simple_family(out, statuses, "ledgerflow_provider_queued", "gauge",
                "Calls waiting for a worker or for their retry.", [](const provider_status& s) { return s.queued; });
  simple_family(out, statuses, "ledgerflow_provider_worker_restarts_total", "counter",
                "Workers replaced after a crash or a stuck call.",
                [](const provider_status& s) { return s.worker_restarts; });
  family(out, "ledgerflow_provider_attempt_ms", "histogram", "Duration of each provider attempt in milliseconds.");
  for (size_t index = 0; index < providers.size(); ++index)
    providers[index]->attempt_ms().render_series(out, "ledgerflow_provider_attempt_ms", provider_label(statuses[index]));
}

} // namespace ledgerflow
