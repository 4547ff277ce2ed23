// The embedded provider: answers every operation of its kind in-process, deterministically
// from its seed, with the latency and failures its settings ask for. Like a real provider it
// does each idempotency key's work once: a repeat returns the first answer, a reused key with
// another request is refused. It counts the work it did, so tests can prove nothing ran twice.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

#include "protocols/provider_adapter.hpp"
#include "providers/sandbox/sandbox_settings.hpp"

namespace ledgerflow {

class sandbox_provider final : public provider_adapter {
public:
  using time_source = std::function<std::chrono::steady_clock::time_point()>;

  explicit sandbox_provider(sandbox_settings settings, time_source now = std::chrono::steady_clock::now);

  provider_kind kind() const override { return settings_.kind; }
  std::string type() const override { return "sandbox"; }
  void start(const provider_call& call, std::chrono::milliseconds timeout, call_completion done) override;

  // Side effects performed (a deduplicated repeat performs none).
  uint64_t side_effects() const;
  uint64_t side_effects_for(const std::string& idempotency_key) const;
  uint64_t calls() const;

private:
  // What a key's first call got, in 24 bytes: the answer is a pure function of the request and
  // the id it was given, so a repeat recomputes it instead of storing its fields.
  struct remembered_answer {
    uint64_t request_fingerprint = 0;  // a hash of the request, to tell a reused key
    uint64_t id = 0;
    uint64_t side_effects = 0;
  };

  sandbox_fault fault_now(std::chrono::steady_clock::time_point now);
  // The answer to `call` under `id`; the same for the same request and id.
  call_outcome answer(const provider_call& call, uint64_t id, std::chrono::steady_clock::time_point now);
  call_outcome deduplicated(const provider_call& call, std::chrono::steady_clock::time_point now);
  std::chrono::microseconds latency();
  double next_unit();

  sandbox_settings settings_;
  time_source now_;
  std::chrono::steady_clock::time_point started_;
  mutable std::mutex mutex_;
  uint64_t random_state_;
  uint64_t next_id_ = 1;
  uint64_t calls_ = 0;
  uint64_t side_effects_ = 0;
  std::unordered_map<std::string, remembered_answer> answers_;
  std::deque<std::string> answer_order_;  // oldest first, for forgetting
  // tx id -> sent; at most remembered_keys_max, the oldest forgotten first (then unknown_tx).
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> withdrawals_;
  std::deque<std::string> withdrawal_order_;
};

} // namespace ledgerflow
