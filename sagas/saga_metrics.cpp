#include "sagas/saga_metrics.hpp"

#include <algorithm>

namespace ledgerflow {

namespace {

constexpr std::array<double, histogram::bucket_count> latency_bounds_ms{
  0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000};

} // namespace

const std::array<const char*, saga_metrics::state_count>& saga_metrics::states() {
  static const std::array<const char*, state_count> names{"running",   "waiting",     "paused", "compensating",
                                                          "completed", "compensated", "failed"};
  return names;
}

int saga_metrics::state_index(const std::string& state) {
  const auto& names = states();
  for (size_t index = 0; index < names.size(); ++index)
    if (state == names[index])
      return static_cast<int>(index);
  return -1;
}

saga_metrics::saga_metrics(const std::vector<std::pair<std::string, std::vector<std::string>>>& types_and_steps) {
  for (const auto& [type, steps] : types_and_steps) {
    auto& entry = types_[type];
    entry.duration_ms = std::make_unique<histogram>(latency_bounds_ms);
    for (const auto& step : steps)
      entry.step_ms.emplace(step, std::make_unique<histogram>(latency_bounds_ms));
  }
}

saga_metrics::per_type* saga_metrics::find(const std::string& type) {
  auto found = types_.find(type);
  return found == types_.end() ? nullptr : &found->second;
}

void saga_metrics::load_counts(const std::vector<saga_count>& counts) {
  for (const auto& count : counts)
    if (auto* entry = find(count.type); entry != nullptr)
      if (auto index = state_index(count.state); index >= 0)
        entry->in_state[index].fetch_add(static_cast<int64_t>(count.count), std::memory_order_relaxed);
}

void saga_metrics::moved(const std::string& type, const std::string& from, const std::string& to) {
  auto* entry = find(type);
  if (entry == nullptr || from == to)
    return;
  if (auto index = state_index(from); index >= 0)
    entry->in_state[index].fetch_sub(1, std::memory_order_relaxed);
  if (auto index = state_index(to); index >= 0)
    entry->in_state[index].fetch_add(1, std::memory_order_relaxed);
}

void saga_metrics::step_succeeded(const std::string& type, const std::string& step, double milliseconds) {
  if (auto* entry = find(type); entry != nullptr)
    if (auto found = entry->step_ms.find(step); found != entry->step_ms.end())
      found->second->observe(milliseconds);
}

void saga_metrics::compensation_started(const std::string& type) {
  if (auto* entry = find(type); entry != nullptr)
    entry->compensations.fetch_add(1, std::memory_order_relaxed);
}

void saga_metrics::ended(const std::string& type, double milliseconds) {
  if (auto* entry = find(type); entry != nullptr)
    entry->duration_ms->observe(milliseconds);
}

std::string saga_metrics::render() const {
  std::string out;
  out += "# HELP ledgerflow_sagas Sagas by type and state (terminal states count every saga ever ended so).\n"
         "# TYPE ledgerflow_sagas gauge\n";
  for (const auto& [type, entry] : types_)
    for (size_t index = 0; index < state_count; ++index)
      out += "ledgerflow_sagas{type=\"" + type + "\",state=\"" + states()[index] + "\"} "
             + std::to_string(std::max<int64_t>(0, entry.in_state[index].load(std::memory_order_relaxed))) + "\n";
  out += "# HELP ledgerflow_saga_compensations_total Sagas that began compensating, by type.\n"
         "# TYPE ledgerflow_saga_compensations_total counter\n";
  for (const auto& [type, entry] : types_)
    out += "ledgerflow_saga_compensations_total{type=\"" + type + "\"} "
           + std::to_string(entry.compensations.load(std::memory_order_relaxed)) + "\n";
  out += "# HELP ledgerflow_saga_step_ms From a step's first attempt to its success, milliseconds.\n"
         "# TYPE ledgerflow_saga_step_ms histogram\n";
  for (const auto& [type, entry] : types_)
    for (const auto& [step, series] : entry.step_ms)
      series->render_series(out, "ledgerflow_saga_step_ms", "type=\"" + type + "\",step=\"" + step + "\"");
  out += "# HELP ledgerflow_saga_duration_ms From a saga's start to its end (any terminal state), milliseconds.\n"
         "# TYPE ledgerflow_saga_duration_ms histogram\n";
  for (const auto& [type, entry] : types_)
    entry.duration_ms->render_series(out, "ledgerflow_saga_duration_ms", "type=\"" + type + "\"");
  return out;
}

} // namespace ledgerflow
