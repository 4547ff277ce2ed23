// The providers as a service: one supervisor per configured provider, and a bridge actor that
// turns provider_api calls into supervisor messages and routes by kind with failover.
#pragma once

#include <memory>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/providers/provider_api.hpp"
#include "actors/providers/provider_gauges.hpp"
#include "actors/providers/provider_settings.hpp"
#include "protocols/provider_adapter.hpp"

namespace ledgerflow {

struct provider_entry {
  supervisor_settings settings;
  std::shared_ptr<provider_adapter> adapter;
};

// A supervisor and what may be read of it without a message.
struct supervised_provider {
  std::string name;
  provider_kind kind;
  caf::actor supervisor;
  std::shared_ptr<provider_gauges> gauges;
};

class provider_service final : public provider_api {
public:
  // Names must be unique (checked by the config); the order is the failover order.
  provider_service(caf::actor_system& system, std::vector<provider_entry> entries);
  ~provider_service() override;

  // Stops the supervisors (and with them their workers). Call before the actor system ends.
  void stop();

  std::vector<provider_status> statuses() const override;
  std::optional<provider_status> status(const std::string& name) const override;
  void set_breaker(const std::string& name, breaker_action action, callback<provider_status> done) override;
  void call(const std::string& name, provider_call call, callback<provider_answer> done) override;
  void call_kind(provider_kind kind, provider_call call, callback<provider_answer> done) override;
  std::string metrics_text() const override;

  // For actors that call supervisors themselves (sagas, benchmarks).
  const std::vector<supervised_provider>& providers() const { return providers_; }
  const supervised_provider* find(const std::string& name) const;
  // The providers of `kind` in the order to try them: healthy breakers first, then config order.
  std::vector<const supervised_provider*> candidates(provider_kind kind) const;

private:
  std::vector<supervised_provider> providers_;
  caf::actor bridge_;
  bool stopped_ = false;
};

} // namespace ledgerflow
