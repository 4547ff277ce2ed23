// A provider adapter that plays a script: each call takes the next step (answer, fail, hang,
// throw). It records the calls it saw, so tests can check attempts and idempotency keys.
#pragma once

#include <chrono>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "protocols/provider_adapter.hpp"

namespace ledgerflow::testing {

enum class scripted_step { succeed, fail_transient, reject, hang, crash };

class scripted_adapter final : public provider_adapter {
public:
  explicit scripted_adapter(provider_kind kind = provider_kind::payments) : kind_(kind) {}

  // Steps for the next calls; when the script runs out, calls succeed.
  void then(scripted_step step, int times = 1) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (int i = 0; i < times; ++i)
      script_.push_back(step);
  }
  std::vector<provider_call> calls() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return calls_;
  }

  provider_kind kind() const override { return kind_; }
  std::string type() const override { return "scripted"; }
  void start(const provider_call& call, std::chrono::milliseconds, call_completion done) override {
    scripted_step step = scripted_step::succeed;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      calls_.push_back(call);
      if (!script_.empty()) {
        step = script_.front();
        script_.pop_front();
      }
    }
    switch (step) {
      case scripted_step::succeed:
        done(call_outcome::success({{"payment_id", "pay-" + call.idempotency_key}, {"amount", "1.00"},
                                    {"currency", "USD"}}),
             std::chrono::microseconds(0));
        break;
      case scripted_step::fail_transient:
        done(call_outcome::failure(failure_kind::transient, "http_503", "scripted failure"), std::chrono::microseconds(0));
        break;
      case scripted_step::reject:
        done(call_outcome::failure(failure_kind::rejected, "http_400", "scripted refusal"), std::chrono::microseconds(0));
        break;
      case scripted_step::hang:
        break;
      case scripted_step::crash:
        throw std::runtime_error("scripted crash");
    }
  }

private:
  provider_kind kind_;
  mutable std::mutex mutex_;
  std::deque<scripted_step> script_;
  std::vector<provider_call> calls_;
};

} // namespace ledgerflow::testing
