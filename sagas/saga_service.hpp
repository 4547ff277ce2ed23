// The saga engine as a service: builds the flows and the runtime, spawns the engine actor and
// a reader for the saga log, resumes every unfinished saga at start, and implements saga_api
// for callers outside CAF (the gateway, the benchmark).
#pragma once

#include <atomic>
#include <memory>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/ledger_service.hpp"
#include "actors/providers/provider_service.hpp"
#include "persistence/journal.hpp"
#include "sagas/saga_api.hpp"
#include "sagas/saga_runtime.hpp"
#include "sagas/saga_settings.hpp"

namespace ledgerflow {

class saga_service final : public saga_api {
public:
  saga_service(caf::actor_system& system, ledger_service& ledger, provider_service& providers,
               std::shared_ptr<journal> store, saga_settings settings, std::shared_ptr<const clock> time);
  ~saga_service() override;

  // See saga_runtime::on_terminal. Before start().
  void on_terminal(std::function<void(const saga_record&)> observer);

  // Loads the counts for the metrics and resumes the unfinished sagas; ready() once it returns.
  status start();
  // Stops the engine and every coordinator (a running saga resumes at the next start). Call
  // before the ledger and the providers stop.
  void stop();

  void start(saga_start_request request, callback<saga_record> done) override;
  void get(std::string id, callback<saga_record> done) override;
  void list(saga_filter filter, callback<std::vector<saga_record>> done) override;
  void steer(std::string id, saga_action action, callback<saga_record> done) override;
  bool ready() const override { return ready_.load(); }
  std::string metrics_text() const override;

private:
  caf::actor_system& system_;
  ledger_service& ledger_;
  std::shared_ptr<journal> store_;
  std::shared_ptr<saga_runtime> runtime_;  // changed only before start()
  caf::actor engine_;
  caf::actor reader_;
  std::atomic<bool> ready_{false};
  bool stopped_ = false;
};

} // namespace ledgerflow
