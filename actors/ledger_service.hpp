// The ledger as a service: spawns the journal writer, balance hub, registry shards and
// idempotency guards over one journal, completes transfers a crash left in flight, and
// implements ledger_api for callers outside CAF (the gateway).
#pragma once

#include <atomic>
#include <memory>
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
  void get_account(std::string account, callback<account_view> done) override;
  void get_entries(std::string account, uint64_t after_seq, size_t limit,
                   callback<std::vector<journal_entry>> done) override;
  bool ready() const override { return ready_.load(); }
  std::string metrics_text() const override;
  const asset_registry& assets() const override { return context_->assets; }

  // For benchmarks and tests that drive the actors directly.
  const caf::actor& guard_for(const std::string& idempotency_key) const;
  const caf::actor& hub() const { return context_->hub; }
  std::shared_ptr<ledger_metrics> metrics() const { return context_->metrics; }
  caf::actor_system& system() { return system_; }

private:
  status recover_inflight_legs();
  const caf::actor& next_bridge();

  caf::actor_system& system_;
  std::shared_ptr<ledger_context> context_;
  std::vector<caf::actor> guards_;
  std::vector<caf::actor> bridges_;
  caf::actor reader_;
  std::atomic<uint64_t> next_bridge_{0};
  std::atomic<bool> ready_{false};
  bool started_ = false;
};

} // namespace ledgerflow
