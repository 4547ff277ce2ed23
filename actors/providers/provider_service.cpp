#include "actors/providers/provider_service.hpp"

#include <algorithm>
#include <unordered_map>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/providers/provider_messages.hpp"
#include "actors/providers/provider_metrics.hpp"
#include "actors/providers/provider_supervisor.hpp"

namespace ledgerflow {

namespace {

using submit_atom = caf::atom_constant<caf::atom("psubmit")>;
using breaker_request_atom = caf::atom_constant<caf::atom("pbrkreq")>;

// Calls the bridge has open at most; beyond it callers are told to come back later.
constexpr size_t bridge_calls_max = 100'000;
constexpr auto breaker_request_timeout = std::chrono::seconds(5);

// A call and where it may go, in order.
struct routed_call {
  std::vector<const supervised_provider*> targets;
  provider_call call;
  provider_api::callback<provider_answer> done;
};

struct breaker_request {
  caf::actor supervisor;
  breaker_action action;
  provider_api::callback<provider_status> done;
};

} // namespace
} // namespace ledgerflow

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ledgerflow::routed_call)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ledgerflow::breaker_request)

namespace ledgerflow {

namespace {

struct open_call {
  routed_call routed;
  size_t target = 0;  // index of the provider asked now
};

struct bridge_state {
  std::unordered_map<uint64_t, open_call> open;
  uint64_t next_id = 1;
  static inline const char* name = "provider_bridge";
};

void ask_target(caf::stateful_actor<bridge_state>* self, uint64_t id, open_call& call) {
  self->send(call.routed.targets[call.target]->supervisor, provider_call_atom::value, id, call.routed.call);
}

void on_reply(caf::stateful_actor<bridge_state>* self, uint64_t id, provider_reply& reply) {
  auto found = self->state.open.find(id);
  if (found == self->state.open.end())
    return;
  auto& call = found->second;
  bool refused_untried = reply.attempts == 0 && !reply.outcome.ok()
                         && reply.outcome.failure().kind == failure_kind::unavailable;
  if (refused_untried && call.target + 1 < call.routed.targets.size()) {
    ++call.target;  // nothing happened at this provider: the next one may take the call
    ask_target(self, id, call);
    return;
  }
  auto done = std::move(call.routed.done);
  provider_answer answer{call.routed.targets[call.target]->name, std::move(reply.outcome), reply.attempts};
  self->state.open.erase(found);
  done(std::move(answer));
}

caf::behavior provider_bridge(caf::stateful_actor<bridge_state>* self) {
  return {
    [self](submit_atom, routed_call& routed) {
      if (self->state.open.size() >= bridge_calls_max) {
        routed.done(make_error(error_code::unavailable, "too many provider calls in flight; retry later"));
        return;
      }
      auto id = self->state.next_id++;
      auto& call = self->state.open.emplace(id, open_call{std::move(routed), 0}).first->second;
      ask_target(self, id, call);
    },
    [self](provider_reply_atom, uint64_t id, provider_reply& reply) { on_reply(self, id, reply); },
    [self](breaker_request_atom, breaker_request& request) {
      auto done = std::move(request.done);
      self->request(request.supervisor, breaker_request_timeout, provider_breaker_atom::value, request.action)
        .then([done](const provider_status& status) { done(status); },
              [done](caf::error&) { done(make_error(error_code::unavailable, "the provider's supervisor did not answer")); });
    },
  };
}

} // namespace

provider_service::provider_service(caf::actor_system& system, std::vector<provider_entry> entries) {
  for (auto& entry : entries) {
    auto kind = entry.adapter->kind();
    auto gauges = std::make_shared<provider_gauges>(entry.settings.name, kind, entry.adapter->type(),
                                                    entry.settings.workers);
    auto name = entry.settings.name;
    auto supervisor = spawn_provider_supervisor(system, std::move(entry.settings), std::move(entry.adapter), gauges);
    providers_.push_back({std::move(name), kind, std::move(supervisor), std::move(gauges)});
  }
  bridge_ = system.spawn(provider_bridge);
}

provider_service::~provider_service() {
  stop();
}

void provider_service::stop() {
  if (stopped_)
    return;
  stopped_ = true;
  caf::anon_send_exit(bridge_, caf::exit_reason::user_shutdown);
  for (auto& provider : providers_)
    caf::anon_send_exit(provider.supervisor, caf::exit_reason::user_shutdown);
}

std::vector<provider_status> provider_service::statuses() const {
  std::vector<provider_status> result;
  for (const auto& provider : providers_)
    result.push_back(provider.gauges->snapshot());
  return result;
}

std::optional<provider_status> provider_service::status(const std::string& name) const {
  if (const auto* provider = find(name))
    return provider->gauges->snapshot();
  return std::nullopt;
}

const supervised_provider* provider_service::find(const std::string& name) const {
  for (const auto& provider : providers_)
    if (provider.name == name)
      return &provider;
  return nullptr;
}

std::vector<const supervised_provider*> provider_service::candidates(provider_kind kind) const {
  std::vector<const supervised_provider*> result;
  for (const auto& provider : providers_)
    if (provider.kind == kind)
      result.push_back(&provider);
  std::stable_partition(result.begin(), result.end(), [](const supervised_provider* provider) {
    return breaker_admits_traffic(provider->gauges->state());
  });
  return result;
}

void provider_service::set_breaker(const std::string& name, breaker_action action, callback<provider_status> done) {
  const auto* provider = find(name);
  if (provider == nullptr)
    return done(make_error(error_code::not_found, "no provider named \"" + name + "\""));
  caf::anon_send(bridge_, breaker_request_atom::value, breaker_request{provider->supervisor, action, std::move(done)});
}

void provider_service::call(const std::string& name, provider_call call, callback<provider_answer> done) {
  const auto* provider = find(name);
  if (provider == nullptr)
    return done(make_error(error_code::not_found, "no provider named \"" + name + "\""));
  caf::anon_send(bridge_, submit_atom::value, routed_call{{provider}, std::move(call), std::move(done)});
}

void provider_service::call_kind(provider_kind kind, provider_call call, callback<provider_answer> done) {
  auto targets = candidates(kind);
  if (targets.empty())
    return done(make_error(error_code::not_found, "no " + std::string(to_string(kind)) + " provider is configured"));
  caf::anon_send(bridge_, submit_atom::value, routed_call{std::move(targets), std::move(call), std::move(done)});
}

std::string provider_service::metrics_text() const {
  std::vector<std::shared_ptr<provider_gauges>> gauges;
  for (const auto& provider : providers_)
    gauges.push_back(provider.gauges);
  std::string out;
  render_provider_metrics(out, gauges);
  return out;
}

} // namespace ledgerflow
