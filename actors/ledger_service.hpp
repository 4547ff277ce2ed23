// The ledger as a service: spawns the journal writer and balance hub over one journal, sets
// up the account registry and the idempotency guard, completes transfers a crash left in
// flight, and implements ledger_api for callers outside CAF (the gateway, the benchmarks).
#pragma once

#include <atomic>
#include <memory>
#include <string_view>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/ledger_api.hpp"
#include "actors/ledger_config.hpp"
#include "actors/ledger_context.hpp"

namespace ledgerflow {

class ledger_service final : public ledger_api {
public:
  ledger_service(caf::actor_system& system, std::shared_ptr<journal> store, asset_registry assets,
                 ledger_config config, std::shared_ptr<const clock> time);
  ~ledger_service() override;

  // Spawns the actors and completes in-flight legs left by a crash; ready() once it returns ok.
  status start();
  // Stops every actor of the ledger after the writer has flushed. Call before the actor
  // system is destroyed (its destructor waits for live actors).
  void stop();

  void transfer(transfer_request request, callback<transfer_receipt> done) override;
  void hold(hold_request request, callback<transfer_receipt> done) override;
  void release(release_request request, callback<transfer_receipt> done) override;
  void post(post_request request, callback<transfer_receipt> done) override;
  void get_account(std::string account, callback<account_view> done) override;
  void get_entries(std::string account, uint64_t after_seq, size_t limit,
                   callback<std::vector<journal_entry>> done) override;
  void on_durable(durable_listener listener) override;
  bool ready() const override { return ready_.load(); }
  bool storage_healthy() const override;
  std::string metrics_text() const override;
  const asset_registry& assets() const override { return context_->assets; }

  const caf::actor& hub() const { return context_->hub; }
  // The journal writer: the saga engine sends its saga log records there.
  const caf::actor& writer() const { return context_->writer; }
  std::shared_ptr<ledger_metrics> metrics() const { return context_->metrics; }
  caf::actor_system& system() { return system_; }

private:
  status recover_inflight_legs();
  // Unique across restarts: the process tag is random per start.
  std::string new_id(std::string_view kind);
  // Answers `done` (not ready, or the request is invalid) and returns false, or returns true.
  bool admissible(const status& valid, callback<transfer_receipt>& done);

  caf::actor_system& system_;
  std::shared_ptr<ledger_context> context_;
  std::vector<caf::actor> finishers_;
  caf::actor sweeper_;
  caf::actor reader_;
  std::vector<caf::actor> listeners_;  // on_durable's, stopped with the hub
  std::string process_tag_;
  std::atomic<uint64_t> next_id_{0};
  std::atomic<bool> ready_{false};
  bool started_ = false;
};

} // namespace ledgerflow
