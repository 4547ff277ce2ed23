#include "actors/ledger_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace ledgerflow {

void histogram::observe(double value) {
  size_t index = 0;
  while (index < bucket_count && value > upper_bounds_[index])
    ++index;
  counts_[index].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_micro_.fetch_add(static_cast<uint64_t>(std::llround(value * 1e6)), std::memory_order_relaxed);
}

double histogram::quantile(double q) const {
  auto total = count();
  if (total == 0)
    return 0;
  auto rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(total)));
  uint64_t seen = 0;
  for (size_t index = 0; index < bucket_count; ++index) {
    seen += counts_[index].load(std::memory_order_relaxed);
    if (seen >= rank)
      return upper_bounds_[index];
  }
  return upper_bounds_.back();
}

double histogram::sum() const {
  return static_cast<double>(sum_micro_.load(std::memory_order_relaxed)) / 1e6;
}

void histogram::render(std::string& out, const std::string& name, const std::string& help) const {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " histogram\n";
  render_series(out, name, "");
}

void histogram::render_series(std::string& out, const std::string& name, const std::string& labels) const {
  auto with_labels = [&labels](const std::string& le) {
    return "{" + (labels.empty() ? std::string() : labels + ",") + "le=\"" + le + "\"}";
  };
  std::string plain_labels = labels.empty() ? std::string() : "{" + labels + "}";
  uint64_t cumulative = 0;
  for (size_t index = 0; index < bucket_count; ++index) {
    cumulative += counts_[index].load(std::memory_order_relaxed);
    char bound[32];
    std::snprintf(bound, sizeof(bound), "%g", upper_bounds_[index]);
    out += name + "_bucket" + with_labels(bound) + " " + std::to_string(cumulative) + "\n";
  }
  out += name + "_bucket" + with_labels("+Inf") + " " + std::to_string(count()) + "\n";
  out += name + "_sum" + plain_labels + " " + std::to_string(sum()) + "\n";
  out += name + "_count" + plain_labels + " " + std::to_string(count()) + "\n";
}

std::vector<float> sample_ring::snapshot() const {
  auto written = next_.load(std::memory_order_relaxed);
  auto held = std::min<uint64_t>(written, capacity);
  std::vector<float> values;
  values.reserve(held);
  for (uint64_t index = 0; index < held; ++index)
    values.push_back(samples_[index].load(std::memory_order_relaxed));
  return values;
}

namespace {

template <class T>
void render_value(std::string& out, const char* name, const char* type, const char* help, const std::atomic<T>& value) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " "
         + std::to_string(value.load(std::memory_order_relaxed)) + "\n";
}

} // namespace

std::string ledger_metrics::render() const {
  std::string out;
  render_value(out, "ledgerflow_transfers_ok_total", "counter", "Ledger commands (transfers, holds, releases, posts) acknowledged durable.", transfers_ok);
  render_value(out, "ledgerflow_transfers_failed_total", "counter", "Ledger commands (transfers, holds, releases, posts) rejected or failed.", transfers_failed);
  render_value(out, "ledgerflow_idempotent_replays_total", "counter", "Commands answered from an idempotency record.", idempotent_replays);
  render_value(out, "ledgerflow_journal_entries_total", "counter", "Journal entries made durable.", entries_written);
  render_value(out, "ledgerflow_journal_batches_total", "counter", "Group commits.", batches_written);
  render_value(out, "ledgerflow_journal_queue_entries", "gauge", "Entries waiting for the next group commit.", writer_queue_entries);
  render_value(out, "ledgerflow_accounts_active", "gauge", "Account actors in memory.", accounts_active);
  render_value(out, "ledgerflow_accounts_spawned_total", "counter", "Account actors spawned.", accounts_spawned);
  render_value(out, "ledgerflow_accounts_passivated_total", "counter", "Idle account actors passivated.", accounts_passivated);
  batch_entries.render(out, "ledgerflow_journal_batch_entries", "Entries per group commit.");
  commit_ms.render(out, "ledgerflow_journal_commit_ms", "Duration of a group commit including fsync, in ms.");
  return out;
}

} // namespace ledgerflow
