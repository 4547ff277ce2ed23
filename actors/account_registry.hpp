// Which actor owns an account on this node. Commands for an account are sent through here:
// the registry spawns the account's actor on first use and counts what it routes, so an idle
// actor may passivate only when it has received everything routed to it (nothing is lost in
// a mailbox that is about to close). A table behind sharded mutexes rather than an actor:
// routing is a lookup and an enqueue, not two extra messages per command.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <caf/actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/fwd.hpp>
#include <caf/message.hpp>

#include "actors/account_slots.hpp"

namespace ledgerflow {

struct ledger_metrics;

class account_registry {
public:
  // Spawns the actor of an account (on first use, from whichever thread routes to it).
  using spawner = std::function<caf::actor(const std::string& account)>;

  account_registry(size_t shard_count, spawner spawn, std::shared_ptr<ledger_metrics> metrics);

  // Enqueues `message` at the account's actor, spawning it first if needed. `host` is the
  // sending actor's execution unit when there is one: the receiver then runs on the same
  // worker without waking another thread.
  void send(const std::string& account, caf::message message, caf::execution_unit* host = nullptr);

  // Asked by an idle actor: true (and forgotten) only if it has received every command routed
  // to it; the actor must then quit. False if anything is on its way: stay and check later.
  bool try_passivate(const std::string& account, const caf::actor_addr& actor, uint64_t commands_received);

  // An actor that ended (passivated or crashed): forgotten unless already replaced.
  void forget(const std::string& account, const caf::actor_addr& actor);

  // Sends exit to every live account actor and forgets them all.
  void stop_all(caf::exit_reason reason);

  size_t active() const;

private:
  // Its own cache line: the two scheduler threads take different shards' locks at once.
  struct alignas(64) shard {
    mutable std::mutex mutex;
    account_slots accounts;
  };

  static uint64_t hash_of(std::string_view account) { return std::hash<std::string_view>{}(account); }
  shard& shard_of(uint64_t hash) { return *shards_[hash % shards_.size()]; }

  std::vector<std::unique_ptr<shard>> shards_;
  spawner spawn_;
  std::shared_ptr<ledger_metrics> metrics_;
};

} // namespace ledgerflow
