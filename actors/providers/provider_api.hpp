// What the gateway (and later the sagas' tooling) needs from the providers, with no CAF in
// sight. Callbacks run on a CAF worker thread: post them to your own executor before I/O.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "actors/providers/circuit_breaker.hpp"
#include "actors/providers/provider_status.hpp"
#include "protocols/outcome.hpp"
#include "protocols/provider_call.hpp"

namespace ledgerflow {

// The end of one call through a supervisor: which provider answered, what, after how many
// attempts (0: refused before any attempt).
struct provider_answer {
  std::string provider;
  call_outcome outcome;
  uint32_t attempts = 0;
};

class provider_api {
public:
  template <class T>
  using callback = std::function<void(outcome<T>)>;

  virtual ~provider_api() = default;

  // Every provider, in configuration order; read without asking the actors.
  virtual std::vector<provider_status> statuses() const = 0;
  virtual std::optional<provider_status> status(const std::string& name) const = 0;
  // An operator's action on a breaker (not_found for an unknown provider).
  virtual void set_breaker(const std::string& name, breaker_action action, callback<provider_status> done) = 0;
  // One call to the named provider (not_found for an unknown one).
  virtual void call(const std::string& name, provider_call call, callback<provider_answer> done) = 0;
  // One call to a provider of `kind`: a healthy one first; when a provider refuses without
  // trying (breaker open, bulkhead full) the next one of the kind is tried. Never after a
  // timeout or a failure: its outcome is unknown, so only the same provider may be retried.
  virtual void call_kind(provider_kind kind, provider_call call, callback<provider_answer> done) = 0;
  // Prometheus text of every provider.
  virtual std::string metrics_text() const = 0;
};

} // namespace ledgerflow
