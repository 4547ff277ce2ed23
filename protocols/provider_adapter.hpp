// The edge to one external provider (STYLE.md habit 5): a sandbox in-process, or an HTTP
// client for a real service. Only app/ chooses which; supervisors see this interface only.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "protocols/provider_call.hpp"

namespace ledgerflow {

// Receives a call's outcome. `deliver_after` lets an in-process adapter (the sandbox) ask for
// its answer to arrive later, on the caller's clock, so simulated latency needs no thread of
// its own and stays deterministic under a fake clock. Network adapters pass zero.
using call_completion = std::function<void(call_outcome outcome, std::chrono::microseconds deliver_after)>;

class provider_adapter {
public:
  virtual ~provider_adapter() = default;

  virtual provider_kind kind() const = 0;
  // "sandbox" or "http": shown by the admin API.
  virtual std::string type() const = 0;

  // Starts one call and calls `done` exactly once, from any thread, possibly before start
  // returns; or never, when the provider hangs: the caller's own timeout covers that.
  // `timeout` bounds the adapter's own waiting (connect, write, read).
  virtual void start(const provider_call& call, std::chrono::milliseconds timeout, call_completion done) = 0;
};

} // namespace ledgerflow
