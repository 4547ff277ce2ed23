// A real ledger over a real SQLite file in a temp directory, with blocking helpers that wait
// for ledger_api callbacks. restart() stops the actors and opens the same file again.
#pragma once

#include <doctest/doctest.h>

#include <functional>
#include <future>
#include <memory>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "actors/ledger_service.hpp"
#include "persistence/sqlite/sqlite_journal.hpp"
#include "tests/support/temp_directory.hpp"

namespace ledgerflow::testing {

struct ledger_fixture {
  temp_directory directory;
  ledger_config config;
  std::unique_ptr<caf::actor_system_config> actor_config;
  std::unique_ptr<caf::actor_system> system;
  std::shared_ptr<sqlite_journal> store;
  // What the ledger writes through; a test may wrap `store` (e.g. to stall appends).
  std::function<std::shared_ptr<journal>(std::shared_ptr<sqlite_journal>)> wrap_store;
  std::unique_ptr<ledger_service> ledger;

  ledger_fixture() { config.command_timeout_ms = 5'000; }
  ~ledger_fixture() { stop(); }

  std::string db_path() const { return directory.file("ledger.db"); }

  void start() {
    actor_config = std::make_unique<caf::actor_system_config>();
    actor_config->set("scheduler.max-threads", 2);
    system = std::make_unique<caf::actor_system>(*actor_config);
    store = sqlite_journal::open(db_path());
    std::shared_ptr<journal> used = store;
    if (wrap_store)
      used = wrap_store(store);
    ledger = std::make_unique<ledger_service>(*system, used, asset_registry::defaults(), config,
                                              std::make_shared<system_clock>());
    auto started = ledger->start();
    REQUIRE_MESSAGE(started, (started ? "" : started.error().message));
  }

  void stop() {
    if (ledger)
      ledger->stop();
    ledger.reset();
    system.reset();
    actor_config.reset();
    store.reset();
  }

  void restart() {
    stop();
    start();
  }

  outcome<transfer_receipt> transfer(const std::string& key, const std::string& from, const std::string& from_bucket,
                                     const std::string& to, const std::string& to_bucket, minor_units amount) {
    return wait<transfer_receipt>([&](auto done) {
      ledger->transfer(transfer_request{key, from, from_bucket, to, to_bucket, amount}, std::move(done));
    });
  }

  outcome<transfer_receipt> hold(const std::string& key, const std::string& account, const std::string& bucket,
                                 minor_units amount) {
    return wait<transfer_receipt>(
      [&](auto done) { ledger->hold(hold_request{key, account, bucket, amount}, std::move(done)); });
  }

  outcome<transfer_receipt> release(const std::string& key, const std::string& account, const std::string& hold_id) {
    return wait<transfer_receipt>(
      [&](auto done) { ledger->release(release_request{key, account, hold_id}, std::move(done)); });
  }

  outcome<transfer_receipt> post(const std::string& key, const std::string& account, const std::string& hold_id,
                                 const std::string& to, const std::string& to_bucket, minor_units amount) {
    return wait<transfer_receipt>([&](auto done) {
      ledger->post(post_request{key, account, hold_id, to, to_bucket, amount}, std::move(done));
    });
  }

  outcome<account_view> account(const std::string& id) {
    return wait<account_view>([&](auto done) { ledger->get_account(id, std::move(done)); });
  }

  bucket_balance balance(const std::string& id, const std::string& bucket) {
    auto view = account(id);
    REQUIRE(view);
    for (const auto& found : view->balances)
      if (found.bucket == bucket)
        return found;
    return bucket_balance{bucket, 0, 0};
  }

  minor_units available(const std::string& id, const std::string& bucket) { return balance(id, bucket).available; }
  minor_units held(const std::string& id, const std::string& bucket) { return balance(id, bucket).held; }

  template <class T, class Call>
  outcome<T> wait(Call call) {
    auto promise = std::make_shared<std::promise<outcome<T>>>();
    auto future = promise->get_future();
    call([promise](outcome<T> result) { promise->set_value(std::move(result)); });
    REQUIRE(future.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
    return future.get();
  }
};

} // namespace ledgerflow::testing
