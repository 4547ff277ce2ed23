// The account registry against a real actor system: spawning on first use, routing without
// loss, and the passivation handshake that lets an idle actor quit without dropping a command.
#include "actors/account_registry.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>

#include "actors/ledger_metrics.hpp"
#include "tests/support/failure_log.hpp"

using namespace ledgerflow;

namespace {

using work_atom = caf::atom_constant<caf::atom("work")>;

constexpr auto hang_guard = std::chrono::seconds(20);

// Polls `done` until it holds; false after `hang_guard`. A guard against hangs, not a timing
// assertion: every caller expects the condition to become true.
template <class Predicate>
bool eventually(Predicate done) {
  auto give_up = std::chrono::steady_clock::now() + hang_guard;
  while (!done()) {
    if (std::chrono::steady_clock::now() > give_up)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// One actor the registry spawned: what it received and how it ended.
struct incarnation {
  std::string account;
  caf::actor_addr address;
  std::atomic<uint64_t> received{0};
  std::atomic<bool> passivated{false};
  std::atomic<bool> ended{false};
  mutable std::mutex mutex;
  std::vector<uint64_t> sequences;  // in arrival order
  caf::error exit_reason;

  void record(uint64_t sequence) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      sequences.push_back(sequence);
    }
    received.fetch_add(1, std::memory_order_acq_rel);
  }
  std::vector<uint64_t> arrived() const {
    std::lock_guard<std::mutex> lock(mutex);
    return sequences;
  }
};

// Everything the spawner made, and how the test actors behave.
struct spawn_probe {
  std::weak_ptr<account_registry> registry;
  // When set, an actor asks to passivate after every command (with its own received count)
  // and quits when allowed; it tells the registry when it ends, as account actors do.
  bool passivate_when_idle = false;
  // deliveries[sequence] counts arrivals of that sequence, across all incarnations.
  std::vector<std::atomic<uint32_t>> deliveries;
  std::atomic<uint64_t> received_total{0};

  mutable std::mutex mutex;
  std::vector<std::shared_ptr<incarnation>> incarnations;
  std::vector<caf::actor> handles;

  std::vector<std::shared_ptr<incarnation>> of(const std::string& account) const {
    std::lock_guard<std::mutex> lock(mutex);
    std::vector<std::shared_ptr<incarnation>> out;
    for (const auto& each : incarnations)
      if (each->account == account)
        out.push_back(each);
    return out;
  }
  std::vector<std::shared_ptr<incarnation>> all() const {
    std::lock_guard<std::mutex> lock(mutex);
    return incarnations;
  }
};

caf::behavior counting_actor(caf::event_based_actor* self, std::shared_ptr<incarnation> me,
                             std::shared_ptr<spawn_probe> probe) {
  self->attach_functor([me, probe, address = self->address()](const caf::error& reason) {
    {
      std::lock_guard<std::mutex> lock(me->mutex);
      me->exit_reason = reason;
    }
    if (probe->passivate_when_idle)
      if (auto registry = probe->registry.lock())
        registry->forget(me->account, address);
    me->ended.store(true, std::memory_order_release);
  });
  return {
    [self, me, probe](work_atom, uint64_t sequence) {
      me->record(sequence);
      if (sequence < probe->deliveries.size())
        probe->deliveries[sequence].fetch_add(1, std::memory_order_relaxed);
      probe->received_total.fetch_add(1, std::memory_order_acq_rel);
      if (!probe->passivate_when_idle)
        return;
      auto registry = probe->registry.lock();
      if (registry && registry->try_passivate(me->account, self->address(), me->received.load())) {
        me->passivated.store(true, std::memory_order_release);
        self->quit();
      }
    },
  };
}

struct registry_fixture {
  caf::actor_system_config actor_config;
  std::unique_ptr<caf::actor_system> system;
  std::shared_ptr<ledger_metrics> metrics = std::make_shared<ledger_metrics>();
  std::shared_ptr<spawn_probe> probe = std::make_shared<spawn_probe>();
  std::shared_ptr<account_registry> registry;

  registry_fixture() {
    actor_config.set("scheduler.max-threads", 2);
    system = std::make_unique<caf::actor_system>(actor_config);
    registry = std::make_shared<account_registry>(
      4,
      [this](const std::string& account) {
        auto me = std::make_shared<incarnation>();
        me->account = account;
        auto handle = system->spawn(counting_actor, me, probe);
        me->address = handle.address();
        std::lock_guard<std::mutex> lock(probe->mutex);
        probe->incarnations.push_back(me);
        probe->handles.push_back(handle);
        return handle;
      },
      metrics);
    probe->registry = registry;
  }

  ~registry_fixture() {
    registry->stop_all(caf::exit_reason::user_shutdown);
    std::vector<caf::actor> handles;
    {
      std::lock_guard<std::mutex> lock(probe->mutex);
      handles.swap(probe->handles);
    }
    // Passivated actors are no longer in the table; the actor system waits for every actor.
    for (auto& handle : handles)
      caf::anon_send_exit(handle, caf::exit_reason::user_shutdown);
    handles.clear();
    registry.reset();
    system.reset();
  }

  void send(const std::string& account, uint64_t sequence) {
    registry->send(account, caf::make_message(work_atom::value, sequence));
  }

  std::shared_ptr<incarnation> only_actor_of(const std::string& account) {
    auto actors = probe->of(account);
    REQUIRE(actors.size() == 1);
    return actors.front();
  }

  static bool received(const std::shared_ptr<incarnation>& actor, uint64_t count) {
    return eventually([&] { return actor->received.load() == count; });
  }
};

} // namespace

TEST_CASE_FIXTURE(registry_fixture, "the first command for an account spawns its actor and later ones reuse it") {
  for (uint64_t sequence = 1; sequence <= 5; ++sequence)
    send("user:a", sequence);
  for (uint64_t sequence = 6; sequence <= 8; ++sequence)
    send("user:b", sequence);
  auto a = only_actor_of("user:a");
  auto b = only_actor_of("user:b");
  REQUIRE(received(a, 5));
  REQUIRE(received(b, 3));
  CHECK(a->arrived() == std::vector<uint64_t>{1, 2, 3, 4, 5});
  CHECK(b->arrived() == std::vector<uint64_t>{6, 7, 8});
  CHECK(a->address != b->address);
  CHECK(registry->active() == 2);
  CHECK(metrics->accounts_spawned.load() == 2);
  CHECK(metrics->accounts_active.load() == 2);
  CHECK(metrics->accounts_passivated.load() == 0);
}

TEST_CASE_FIXTURE(registry_fixture,
                  "first commands from several threads at once spawn one actor per account and all arrive in order") {
  constexpr uint64_t thread_count = 6;
  constexpr uint64_t account_count = 24;
  constexpr uint64_t rounds = 40;
  constexpr uint64_t thread_stride = 1'000'000;  // sequence = thread * stride + index
  std::vector<std::string> accounts;
  for (uint64_t index = 0; index < account_count; ++index)
    accounts.push_back("user:" + std::to_string(index));
  std::promise<void> go;
  auto start = go.get_future().share();
  std::vector<std::thread> senders;
  for (uint64_t thread = 0; thread < thread_count; ++thread)
    senders.emplace_back([this, thread, start, &accounts] {
      start.wait();
      uint64_t index = 0;
      for (uint64_t round = 0; round < rounds; ++round)
        for (uint64_t offset = 0; offset < account_count; ++offset)
          send(accounts[(offset + thread) % account_count], thread * thread_stride + index++);
    });
  go.set_value();
  for (auto& sender : senders)
    sender.join();

  CHECK(metrics->accounts_spawned.load() == account_count);
  CHECK(metrics->accounts_active.load() == static_cast<int64_t>(account_count));
  CHECK(registry->active() == account_count);
  for (const auto& account : accounts) {
    CAPTURE(account);
    auto actor = only_actor_of(account);
    REQUIRE(received(actor, thread_count * rounds));
    // Each sender's commands for an account arrive in the order it sent them.
    std::vector<uint64_t> last_of_thread(thread_count, 0);
    std::vector<uint64_t> count_of_thread(thread_count, 0);
    for (auto sequence : actor->arrived()) {
      auto thread = sequence / thread_stride;
      REQUIRE(thread < thread_count);
      if (count_of_thread[thread]++ > 0)
        CHECK(sequence > last_of_thread[thread]);
      last_of_thread[thread] = sequence;
    }
    for (auto count : count_of_thread)
      CHECK(count == rounds);
  }
  CHECK(probe->received_total.load() == thread_count * account_count * rounds);
}

TEST_CASE_FIXTURE(registry_fixture, "an actor may passivate only when it has received everything routed to it") {
  for (uint64_t sequence = 1; sequence <= 3; ++sequence)
    send("user:a", sequence);
  send("user:b", 4);
  auto a = only_actor_of("user:a");
  auto b = only_actor_of("user:b");
  REQUIRE(received(a, 3));
  REQUIRE(received(b, 1));

  CHECK_FALSE(registry->try_passivate("user:a", a->address, 2));  // one still on its way
  CHECK_FALSE(registry->try_passivate("user:a", a->address, 4));  // a count that was never routed
  CHECK_FALSE(registry->try_passivate("user:a", b->address, 3));  // not the registered actor
  CHECK_FALSE(registry->try_passivate("user:a", caf::actor_addr{}, 3));
  CHECK_FALSE(registry->try_passivate("user:nobody", a->address, 3));
  CHECK(registry->active() == 2);
  CHECK(metrics->accounts_passivated.load() == 0);
  CHECK(metrics->accounts_active.load() == 2);

  CHECK(registry->try_passivate("user:a", a->address, 3));
  CHECK(registry->active() == 1);
  CHECK(metrics->accounts_passivated.load() == 1);
  CHECK(metrics->accounts_active.load() == 1);
  CHECK(metrics->accounts_spawned.load() == 2);
  // Gone: asking again is refused, and the next command spawns a fresh actor.
  CHECK_FALSE(registry->try_passivate("user:a", a->address, 3));
  CHECK(metrics->accounts_passivated.load() == 1);

  send("user:a", 5);
  auto actors = probe->of("user:a");
  REQUIRE(actors.size() == 2);
  auto fresh = actors.back();
  CHECK(fresh->address != a->address);
  REQUIRE(received(fresh, 1));
  CHECK(fresh->arrived() == std::vector<uint64_t>{5});
  CHECK(a->received.load() == 3);
  CHECK(metrics->accounts_spawned.load() == 3);
  CHECK(metrics->accounts_active.load() == 2);
  // The fresh actor's count starts from zero: one command routed, one received.
  CHECK_FALSE(registry->try_passivate("user:a", a->address, 1));
  CHECK(registry->try_passivate("user:a", fresh->address, 1));
  CHECK(metrics->accounts_passivated.load() == 2);
  CHECK(registry->active() == 1);
}

TEST_CASE_FIXTURE(registry_fixture, "forget removes an account only while the ended actor is the registered one") {
  send("user:a", 1);
  send("user:b", 2);
  auto first = only_actor_of("user:a");
  auto b = only_actor_of("user:b");

  registry->forget("user:a", b->address);
  registry->forget("user:nobody", first->address);
  CHECK(registry->active() == 2);
  CHECK(metrics->accounts_active.load() == 2);

  registry->forget("user:a", first->address);
  CHECK(registry->active() == 1);
  CHECK(metrics->accounts_active.load() == 1);
  CHECK(metrics->accounts_passivated.load() == 0);  // forgetting is not passivating

  send("user:a", 3);
  auto actors = probe->of("user:a");
  REQUIRE(actors.size() == 2);
  auto second = actors.back();
  CHECK(second->address != first->address);
  CHECK(metrics->accounts_spawned.load() == 3);
  CHECK(metrics->accounts_active.load() == 2);

  // The first actor's late end must not unregister its successor.
  registry->forget("user:a", first->address);
  CHECK(registry->active() == 2);
  CHECK(metrics->accounts_active.load() == 2);
  send("user:a", 4);
  CHECK(probe->of("user:a").size() == 2);
  REQUIRE(received(second, 2));
  CHECK(second->arrived() == std::vector<uint64_t>{3, 4});
}

TEST_CASE_FIXTURE(registry_fixture, "stop_all sends exit to every account actor and empties the table") {
  std::vector<std::string> accounts{"user:a", "user:b", "user:c", "user:d", "user:e"};
  uint64_t sequence = 0;
  for (const auto& account : accounts)
    send(account, ++sequence);
  auto actors = probe->all();
  REQUIRE(actors.size() == accounts.size());
  for (const auto& actor : actors)
    REQUIRE(received(actor, 1));
  for (const auto& actor : actors)
    CHECK_FALSE(actor->ended.load());

  registry->stop_all(caf::exit_reason::user_shutdown);
  CHECK(registry->active() == 0);
  CHECK(metrics->accounts_active.load() == 0);
  CHECK(metrics->accounts_spawned.load() == accounts.size());
  CHECK(metrics->accounts_passivated.load() == 0);
  for (const auto& actor : actors) {
    CAPTURE(actor->account);
    REQUIRE(eventually([&] { return actor->ended.load(std::memory_order_acquire); }));
    std::lock_guard<std::mutex> lock(actor->mutex);
    CHECK(actor->exit_reason == caf::exit_reason::user_shutdown);
  }

  send("user:c", ++sequence);
  CHECK(probe->of("user:c").size() == 2);
  CHECK(registry->active() == 1);
  CHECK(metrics->accounts_spawned.load() == accounts.size() + 1);
  CHECK(metrics->accounts_active.load() == 1);
}

TEST_CASE_FIXTURE(registry_fixture, "an account that passivates while commands keep coming loses none of them") {
  constexpr uint64_t bursts = 400;
  constexpr uint64_t burst_size_max = 64;
  constexpr uint64_t sequences_max = bursts * burst_size_max + 1;
  probe->passivate_when_idle = true;
  probe->deliveries = std::vector<std::atomic<uint32_t>>(sequences_max);
  const std::string account = "user:busy";

  // One sender; the account's actor asks to passivate after every command it handles. Some
  // bursts start while the last command's passivation is being decided, every tenth waits
  // until the actor has passivated, so both sides of the race are exercised.
  auto sender = std::async(std::launch::async, [&] {
    std::mt19937 random(20261122);
    uint64_t sent = 0;
    for (uint64_t burst = 0; burst < bursts; ++burst) {
      auto size = 1 + random() % burst_size_max;
      for (uint64_t index = 0; index < size; ++index)
        send(account, ++sent);
      if (burst % 10 == 9) {
        if (!eventually([&] { return registry->active() == 0; }))
          return uint64_t{0};
      } else if (random() % 2 == 0) {
        if (!eventually([&] { return probe->received_total.load() == sent; }))
          return uint64_t{0};
      }
    }
    return sent;
  });
  REQUIRE(sender.wait_for(std::chrono::seconds(120)) == std::future_status::ready);
  auto sent = sender.get();
  REQUIRE(sent > 0);  // zero: a passivation or a delivery never came

  // The last command is followed by nothing, so its actor passivates in the end.
  REQUIRE(eventually([&] { return probe->received_total.load() == sent && registry->active() == 0; }));
  ledgerflow::testing::failure_log failures;
  for (uint64_t sequence = 1; sequence <= sent; ++sequence)
    if (auto count = probe->deliveries[sequence].load(); count != 1)
      failures("command " + std::to_string(sequence) + " arrived " + std::to_string(count) + " times");
  CHECK_MESSAGE(failures.count() == 0, failures.first());

  auto actors = probe->of(account);
  for (const auto& actor : actors)
    REQUIRE(eventually([&] { return actor->ended.load(std::memory_order_acquire); }));
  uint64_t received_total = 0;
  size_t passivated = 0;
  for (const auto& actor : actors) {
    received_total += actor->received.load();
    passivated += actor->passivated.load() ? 1 : 0;
    CHECK(actor->received.load() > 0);  // spawned by a command, so it got at least that one
  }
  CHECK(received_total == sent);
  CHECK(passivated == actors.size());
  CHECK(actors.size() >= bursts / 10);
  CHECK(metrics->accounts_spawned.load() == actors.size());
  CHECK(metrics->accounts_passivated.load() == actors.size());
  CHECK(metrics->accounts_active.load() == 0);
}
