#include "sagas/saga_service.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include "protocols/transfer.hpp"
#include "sagas/saga_engine.hpp"
#include "sagas/saga_messages.hpp"

namespace ledgerflow {

namespace {

std::shared_ptr<saga_runtime> make_runtime(ledger_service& ledger, provider_service& providers, saga_settings settings,
                                           std::shared_ptr<const clock> time) {
  auto runtime = std::make_shared<saga_runtime>();
  runtime->ledger = &ledger;
  runtime->writer = ledger.writer();
  runtime->providers = &providers;
  runtime->time = std::move(time);
  runtime->flows = std::make_shared<const flow_context>(flow_context{ledger.assets(), std::move(settings)});
  std::vector<std::pair<std::string, std::vector<std::string>>> types_and_steps;
  for (auto definition : {make_deposit_to_invest(runtime->flows), make_invest_to_defi(runtime->flows)}) {
    std::vector<std::string> steps;
    for (const auto& step : definition.steps)
      steps.push_back(step.name);
    types_and_steps.emplace_back(definition.type, std::move(steps));
    runtime->definitions.emplace(definition.type, std::move(definition));
  }
  runtime->metrics = std::make_shared<saga_metrics>(types_and_steps);
  return runtime;
}

// Reads of the saga log, off the callers' threads and off the engine.
caf::behavior saga_reader(caf::event_based_actor*, std::shared_ptr<journal> store) {
  auto unreadable = [](const std::exception& failure) {
    return make_error(error_code::unavailable, std::string("the saga log cannot be read: ") + failure.what());
  };
  return {
    [store, unreadable](saga_read_atom, const std::string& id, saga_reply& reply) {
      try {
        auto found = store->find_saga(id);
        if (!found)
          return reply(make_error(error_code::not_found, "no saga " + id));
        reply(std::move(*found));
      } catch (const std::exception& failure) {
        reply(unreadable(failure));
      }
    },
    [store, unreadable](saga_read_atom, const saga_filter& filter, saga_list_reply& reply) {
      try {
        reply(store->list_sagas(filter));
      } catch (const std::exception& failure) {
        reply(unreadable(failure));
      }
    },
  };
}

// Every provider a saga's params name must exist and be of the kind the param wants.
status check_named_providers(const saga_definition& definition, const saga_params& params,
                             const provider_service& providers) {
  for (const auto& [param, kind] : definition.provider_params)
    for (const auto& [key, value] : params) {
      if (key != param || value.empty())
        continue;
      const auto* provider = providers.find(value);
      if (provider == nullptr)
        return make_error(error_code::bad_request, "no provider named \"" + value + "\" (param " + param + ")");
      if (provider->kind != kind)
        return make_error(error_code::bad_request, "the provider \"" + value + "\" is not a "
                                                     + std::string(to_string(kind)) + " provider (param " + param
                                                     + ")");
    }
  return done{};
}

} // namespace

saga_service::saga_service(caf::actor_system& system, ledger_service& ledger, provider_service& providers,
                           std::shared_ptr<journal> store, saga_settings settings, std::shared_ptr<const clock> time)
  : system_(system), ledger_(ledger), store_(std::move(store)),
    runtime_(make_runtime(ledger, providers, std::move(settings), std::move(time))) {}

saga_service::~saga_service() { stop(); }

void saga_service::on_terminal(std::function<void(const saga_record&)> observer) {
  runtime_->on_terminal = std::move(observer);
}

status saga_service::start() {
  std::vector<saga_record> unfinished;
  std::shared_ptr<key_filter> started_ids;
  try {
    auto counts = store_->saga_counts();
    runtime_->metrics->load_counts(counts);
    uint64_t stored = 0;
    for (const auto& count : counts)
      stored += count.count;
    // Room for as many again, and at least a million (1.2 MiB), before false "maybe"s rise.
    started_ids = std::make_shared<key_filter>(std::max<uint64_t>(2 * stored, 1'000'000));
    store_->scan_saga_ids([&](const std::string& id) { started_ids->insert(id); });
    unfinished = store_->unfinished_sagas();
  } catch (const std::exception& failure) {
    return make_error(error_code::unavailable, std::string("cannot read the saga log: ") + failure.what());
  }
  engine_ = spawn_saga_engine(system_, runtime_, store_, std::move(started_ids));
  reader_ = system_.spawn<caf::detached>(saga_reader, store_);
  if (!unfinished.empty())
    caf::anon_send(engine_, saga_recover_atom::value, std::move(unfinished));
  ready_ = true;
  return done{};
}

void saga_service::stop() {
  if (stopped_ || !engine_)
    return;
  stopped_ = true;
  ready_ = false;
  // Waits for the engine, which waits for every coordinator.
  caf::scoped_actor self{system_};
  self->monitor(engine_);
  self->monitor(reader_);
  caf::anon_send_exit(engine_, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(reader_, caf::exit_reason::user_shutdown);
  // The engine ends after its coordinators; bounded, in case one is stuck in a long message.
  for (int stopped = 0; stopped < 2; ++stopped)
    self->receive([](const caf::down_msg&) {}, caf::after(std::chrono::seconds(10)) >> [] {
      spdlog::warn("the saga engine did not stop within 10 s");
    });
}

void saga_service::start(saga_start_request request, callback<saga_record> done) {
  if (!ready() || !ledger_.ready())
    return done(make_error(error_code::unavailable, "the saga engine is not ready"));
  const auto* definition = runtime_->definition(request.type);
  if (definition == nullptr)
    return done(make_error(error_code::bad_request, "unknown saga type \"" + request.type
                                                      + "\" (deposit_to_invest, invest_to_defi)"));
  if (auto key = validate_idempotency_key(request.idempotency_key); !key)
    return done(key.error());
  auto params = definition->validate(request.params);
  if (!params)
    return done(params.error());
  if (auto named = check_named_providers(*definition, *params, *runtime_->providers); !named)
    return done(named.error());
  saga_data saga;
  saga.id = saga_id_for_key(request.idempotency_key);
  saga.type = request.type;
  saga.idempotency_key = std::move(request.idempotency_key);
  saga.request_hash = saga_request_hash(request.type, request.params);
  saga.params = std::move(*params);
  saga.account = saga.param("account");
  for (const auto& step : definition->steps) {
    saga.steps.emplace_back();
    saga.steps.back().name = step.name;
  }
  saga.created_us = runtime_->time->now_us();
  caf::anon_send(engine_, saga_start_atom::value, std::move(saga), saga_reply(std::move(done)));
}

void saga_service::get(std::string id, callback<saga_record> done) {
  if (!ready())
    return done(make_error(error_code::unavailable, "the saga engine is not ready"));
  caf::anon_send(reader_, saga_read_atom::value, std::move(id), saga_reply(std::move(done)));
}

void saga_service::list(saga_filter filter, callback<std::vector<saga_record>> done) {
  if (!ready())
    return done(make_error(error_code::unavailable, "the saga engine is not ready"));
  caf::anon_send(reader_, saga_read_atom::value, std::move(filter), saga_list_reply(std::move(done)));
}

void saga_service::steer(std::string id, saga_action action, callback<saga_record> done) {
  if (!ready())
    return done(make_error(error_code::unavailable, "the saga engine is not ready"));
  caf::anon_send(engine_, saga_steer_atom::value, std::move(id), action, saga_reply(std::move(done)));
}

std::string saga_service::metrics_text() const { return runtime_->metrics->render(); }

} // namespace ledgerflow
