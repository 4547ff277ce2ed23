#include "sagas/saga_engine.hpp"

#include <unordered_map>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <spdlog/spdlog.h>

#include "sagas/saga_coordinator.hpp"

namespace ledgerflow {

namespace {

struct running_saga {
  caf::actor coordinator;
  std::string request_hash;
};

struct engine_state {
  saga_runtime_ptr runtime;
  std::shared_ptr<journal> store;
  std::shared_ptr<key_filter> started_ids;
  std::unordered_map<std::string, running_saga> running;
  std::unordered_map<caf::actor_addr, std::string> ids;  // of the running coordinators
  caf::error stopping;  // set once told to stop: the engine ends when its last coordinator has
  static inline const char* name = "saga_engine";
};

using engine = caf::stateful_actor<engine_state>;

caf::actor spawn_coordinator(engine* self, saga_data saga, saga_reply started) {
  auto id = saga.id;
  auto hash = saga.request_hash;
  auto coordinator = spawn_saga_coordinator(self->system(), caf::actor_cast<caf::actor>(self), self->state.runtime,
                                            std::move(saga), std::move(started));
  // Monitored, not linked: a link costs the engine a scan of all its links when a saga
  // ends (thousands run at once); the engine stops the coordinators itself when it stops.
  self->monitor(coordinator);
  self->state.ids.emplace(coordinator.address(), id);
  self->state.running.emplace(std::move(id), running_saga{coordinator, std::move(hash)});
  return coordinator;
}

error mismatch(const std::string& key) {
  return make_error(error_code::idempotency_mismatch,
                    "the idempotency key " + key + " started a saga with another type or other params");
}

std::optional<saga_record> stored(engine* self, const std::string& id, saga_reply& reply) {
  try {
    return self->state.store->find_saga(id);
  } catch (const std::exception& failure) {
    reply(make_error(error_code::unavailable, std::string("the saga log cannot be read: ") + failure.what()));
    throw;
  }
}

void start(engine* self, saga_data& saga, saga_reply& reply) {
  auto& st = self->state;
  if (auto found = st.running.find(saga.id); found != st.running.end()) {
    if (found->second.request_hash != saga.request_hash)
      return reply(mismatch(saga.idempotency_key));
    return self->send(found->second.coordinator, saga_view_atom::value, std::move(reply));
  }
  if (st.started_ids->may_contain(saga.id)) {
    std::optional<saga_record> existing;
    try {
      existing = stored(self, saga.id, reply);
    } catch (const std::exception&) {
      return;
    }
    if (existing) {
      if (existing->request_hash != saga.request_hash)
        return reply(mismatch(saga.idempotency_key));
      return reply(std::move(*existing));
    }
  }
  st.started_ids->insert(saga.id);
  spawn_coordinator(self, std::move(saga), std::move(reply));
}

void steer(engine* self, const std::string& id, saga_action action, saga_reply& reply) {
  auto& st = self->state;
  if (auto found = st.running.find(id); found != st.running.end())
    return self->send(found->second.coordinator, saga_steer_atom::value, action, std::move(reply));
  std::optional<saga_record> existing;
  try {
    existing = stored(self, id, reply);
  } catch (const std::exception&) {
    return;
  }
  if (!existing)
    return reply(make_error(error_code::not_found, "no saga " + id));
  // Only a failed saga comes back to life, to retry its compensation; the other terminal
  // states are final.
  if (existing->state != "failed" || action != saga_action::retry)
    return reply(make_error(error_code::conflict, "the saga is " + existing->state + "; it cannot be steered"));
  auto saga = from_document(existing->document);
  if (!saga)
    return reply(saga.error());
  saga->version = existing->version;
  auto coordinator = spawn_coordinator(self, std::move(*saga), nullptr);
  self->send(coordinator, saga_steer_atom::value, action, std::move(reply));
}

void recover(engine* self, std::vector<saga_record>& records) {
  size_t resumed = 0;
  for (auto& record : records) {
    auto saga = from_document(record.document);
    if (!saga || self->state.runtime->definition(saga->type) == nullptr) {
      spdlog::error("saga {} cannot be resumed: its record is unreadable or of an unknown type", record.id);
      continue;
    }
    saga->version = record.version;
    spawn_coordinator(self, std::move(*saga), nullptr);
    ++resumed;
  }
  if (resumed > 0)
    spdlog::info("resumed {} unfinished saga(s) from the saga log", resumed);
}

caf::behavior saga_engine(engine* self, saga_runtime_ptr runtime, std::shared_ptr<journal> store,
                          std::shared_ptr<key_filter> started_ids) {
  self->state.runtime = std::move(runtime);
  self->state.store = std::move(store);
  self->state.started_ids = std::move(started_ids);
  // A coordinator that crashes must not take the engine and every other saga with it (its
  // saga resumes on the next start); one that ends has told the engine already.
  self->set_down_handler([self](caf::down_msg& message) {
    auto& st = self->state;
    auto found = st.ids.find(message.source);
    if (found == st.ids.end())
      return;
    if (message.reason && !st.stopping)
      spdlog::error("the coordinator of saga {} stopped: {}", found->second, caf::to_string(message.reason));
    if (auto running = st.running.find(found->second);
        running != st.running.end() && running->second.coordinator.address() == message.source)
      st.running.erase(running);
    st.ids.erase(found);
    if (st.stopping && st.ids.empty())
      self->quit(st.stopping);
  });
  // Stopping the engine stops every coordinator (a saga resumes at the next start), and the
  // engine outlives them: whoever waits for it knows no coordinator touches the ledger or the
  // providers any more.
  self->set_exit_handler([self](caf::exit_msg& message) {
    auto& st = self->state;
    if (st.stopping)
      return;
    st.stopping = message.reason ? message.reason : caf::make_error(caf::exit_reason::user_shutdown);
    for (auto& [id, running] : st.running)
      self->send_exit(running.coordinator, st.stopping);
    if (st.ids.empty())
      self->quit(st.stopping);
  });
  return {
    [self](saga_start_atom, saga_data& saga, saga_reply& reply) { start(self, saga, reply); },
    [self](saga_steer_atom, const std::string& id, saga_action action, saga_reply& reply) {
      steer(self, id, action, reply);
    },
    [self](saga_ended_atom, const std::string& id) { self->state.running.erase(id); },  // ids: at its down
    [self](saga_recover_atom, std::vector<saga_record>& records) { recover(self, records); },
  };
}

} // namespace

caf::actor spawn_saga_engine(caf::actor_system& system, saga_runtime_ptr runtime, std::shared_ptr<journal> store,
                             std::shared_ptr<key_filter> started_ids) {
  return system.spawn(saga_engine, std::move(runtime), std::move(store), std::move(started_ids));
}

} // namespace ledgerflow
