#include "actors/providers/provider_worker.hpp"

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

#include "actors/providers/provider_messages.hpp"

namespace ledgerflow {

namespace {

// Called by the adapter, on any thread, once. The supervisor is held weakly: a late answer
// after the supervisor stopped is dropped.
void report(const caf::actor_addr& supervisor_address, uint32_t slot, uint64_t token, call_outcome outcome,
            std::chrono::microseconds deliver_after) {
  auto supervisor = caf::actor_cast<caf::actor>(supervisor_address);
  if (!supervisor)
    return;
  if (deliver_after.count() <= 0)
    caf::anon_send(supervisor, attempt_done_atom::value, slot, token, std::move(outcome));
  else
    caf::delayed_anon_send(supervisor, deliver_after, attempt_done_atom::value, slot, token, std::move(outcome));
}

} // namespace

call_completion completion_for(caf::actor_addr supervisor, uint32_t slot, uint64_t token) {
  return [supervisor = std::move(supervisor), slot, token](call_outcome outcome, std::chrono::microseconds after) {
    report(supervisor, slot, token, std::move(outcome), after);
  };
}

caf::behavior provider_worker(caf::event_based_actor* self, std::shared_ptr<provider_adapter> adapter,
                              caf::actor_addr supervisor, std::chrono::milliseconds timeout) {
  self->set_default_handler(caf::drop);
  return {
    [adapter, supervisor, timeout](attempt_atom, uint32_t slot, uint64_t token, const shared_call& call) {
      adapter->start(*call, timeout, completion_for(supervisor, slot, token));
    },
  };
}

} // namespace ledgerflow
