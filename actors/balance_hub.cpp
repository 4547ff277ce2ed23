#include "actors/balance_hub.hpp"

#include <algorithm>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/message_types.hpp"

namespace ledgerflow {

namespace {

struct hub_state {
  std::vector<caf::actor> subscribers;

  void remove(const caf::actor_addr& subscriber) {
    auto& list = subscribers;
    list.erase(std::remove_if(list.begin(), list.end(),
                              [&](const caf::actor& each) { return each.address() == subscriber; }),
               list.end());
  }
};

caf::behavior balance_hub(caf::stateful_actor<hub_state>* self) {
  self->set_down_handler([self](caf::down_msg& down) { self->state.remove(down.source); });
  return {
    [self](publish_atom atom, const durable_entries& entries) {
      for (const auto& subscriber : self->state.subscribers)
        self->send(subscriber, atom, entries);
    },
    [self](subscribe_atom, const caf::actor& subscriber) {
      self->monitor(subscriber);
      self->state.subscribers.push_back(subscriber);
    },
    [self](unsubscribe_atom, const caf::actor& subscriber) {
      self->demonitor(subscriber);
      self->state.remove(subscriber.address());
    },
  };
}

caf::behavior hub_listener(caf::event_based_actor* self, caf::actor hub, durable_listener listener) {
  self->send(hub, subscribe_atom::value, caf::actor{self});
  return {
    [listener = std::move(listener)](publish_atom, const durable_entries& entries) { listener(entries); },
  };
}

} // namespace

caf::actor spawn_hub_listener(caf::actor_system& system, const caf::actor& hub, durable_listener listener) {
  return system.spawn(hub_listener, hub, std::move(listener));
}

caf::actor spawn_balance_hub(caf::actor_system& system) {
  return system.spawn(balance_hub);
}

} // namespace ledgerflow
