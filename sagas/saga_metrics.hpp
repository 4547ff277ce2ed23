// The saga engine's figures, updated by coordinators on any thread and rendered for /metrics:
// sagas by type and state, step latency, saga duration, compensations.
#pragma once

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "actors/ledger_metrics.hpp"
#include "protocols/saga_record.hpp"

namespace ledgerflow {

class saga_metrics {
public:
  static constexpr size_t state_count = 7;
  static const std::array<const char*, state_count>& states();

  // The types and their steps are fixed at start; figures for others are dropped.
  explicit saga_metrics(const std::vector<std::pair<std::string, std::vector<std::string>>>& types_and_steps);

  void load_counts(const std::vector<saga_count>& counts);
  // A saga of `type` left state `from` ("" when it is new) for `to`.
  void moved(const std::string& type, const std::string& from, const std::string& to);
  void step_succeeded(const std::string& type, const std::string& step, double milliseconds);
  void compensation_started(const std::string& type);
  void ended(const std::string& type, double milliseconds);
  std::string render() const;

private:
  struct per_type {
    std::array<std::atomic<int64_t>, state_count> in_state{};
    std::atomic<uint64_t> compensations{0};
    std::unique_ptr<histogram> duration_ms;
    std::map<std::string, std::unique_ptr<histogram>> step_ms;
  };
  per_type* find(const std::string& type);
  static int state_index(const std::string& state);

  std::map<std::string, per_type> types_;
};

} // namespace ledgerflow
