#include "actors/account_registry.hpp"

#include <unordered_map>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/account_actor.hpp"
#include "actors/message_types.hpp"

namespace ledgerflow {

namespace {

struct registered_account {
  caf::actor actor;
  uint64_t commands_routed = 0;
};

struct registry_state {
  ledger_context_ptr context;
  std::unordered_map<std::string, registered_account> accounts;
};

using registry_self = caf::stateful_actor<registry_state>;

// The account's actor, spawned on first use; counts the command about to be routed to it.
const caf::actor& route(registry_self* self, const std::string& account) {
  auto& st = self->state;
  auto found = st.accounts.find(account);
  if (found == st.accounts.end()) {
    auto actor = spawn_account_actor(self, account, caf::actor_cast<caf::actor>(self), st.context);
    self->monitor(actor);
    found = st.accounts.emplace(account, registered_account{std::move(actor), 0}).first;
    st.context->metrics->accounts_spawned.fetch_add(1, std::memory_order_relaxed);
    st.context->metrics->accounts_active.fetch_add(1, std::memory_order_relaxed);
  }
  ++found->second.commands_routed;
  return found->second.actor;
}

bool passivate(registry_self* self, const std::string& account, uint64_t commands_received) {
  auto& st = self->state;
  auto found = st.accounts.find(account);
  if (found == st.accounts.end() || found->second.commands_routed != commands_received)
    return false;
  st.accounts.erase(found);
  st.context->metrics->accounts_passivated.fetch_add(1, std::memory_order_relaxed);
  st.context->metrics->accounts_active.fetch_sub(1, std::memory_order_relaxed);
  return true;
}

// An account actor that died (crash, or quit after passivation) is forgotten; the next command
// spawns a fresh one that rebuilds from the journal.
void forget(registry_self* self, const caf::down_msg& down) {
  auto& accounts = self->state.accounts;
  for (auto it = accounts.begin(); it != accounts.end(); ++it)
    if (it->second.actor.address() == down.source) {
      accounts.erase(it);
      self->state.context->metrics->accounts_active.fetch_sub(1, std::memory_order_relaxed);
      return;
    }
}

caf::behavior account_registry(registry_self* self, ledger_context_ptr context) {
  self->state.context = std::move(context);
  self->set_down_handler([self](caf::down_msg& down) { forget(self, down); });
  self->set_exit_handler([self](caf::exit_msg& exit) {
    for (auto& [account, registered] : self->state.accounts)
      self->send_exit(registered.actor, exit.reason);
    self->quit(exit.reason);
  });
  return {
    [self](transfer_atom atom, transfer_command& command) {
      auto& target = route(self, command.request.from_account);
      return self->delegate(target, atom, std::move(command));
    },
    [self](credit_atom atom, inflight_leg& leg) {
      auto& target = route(self, leg.to_account);
      return self->delegate(target, atom, std::move(leg));
    },
    [self](view_atom atom, const std::string& account) {
      return self->delegate(route(self, account), atom);
    },
    [self](passivate_atom, const std::string& account, uint64_t commands_received) {
      return passivate(self, account, commands_received);
    },
  };
}

} // namespace

caf::actor spawn_account_registry(caf::actor_system& system, ledger_context_ptr context) {
  return system.spawn(account_registry, std::move(context));
}

} // namespace ledgerflow
