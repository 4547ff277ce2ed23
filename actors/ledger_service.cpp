#include "actors/ledger_service.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/account_registry.hpp"
#include "actors/balance_hub.hpp"
#include "actors/idempotency_guard.hpp"
#include "actors/journal_writer.hpp"
#include "actors/ledger_error.hpp"
#include "actors/message_types.hpp"

namespace ledgerflow {

namespace {

// Work handed to a bridge actor from a foreign thread; it may issue requests as `self`.
using bridge_task = std::function<void(caf::event_based_actor*)>;

constexpr size_t bridge_count = 4;

caf::behavior bridge(caf::event_based_actor* self) {
  return {[self](call_atom, const bridge_task& task) { task(self); }};
}

// Runs blocking journal reads off the scheduler threads.
caf::behavior journal_reader(caf::event_based_actor*) {
  return {[](call_atom, const std::function<void()>& task) { task(); }};
}

template <class T>
void request_into(caf::event_based_actor* self, const caf::actor& target, std::chrono::milliseconds timeout,
                  caf::message request, ledger_api::callback<T> done) {
  self->request(target, timeout, std::move(request))
    .then([done](T& value) { done(std::move(value)); },
          [done](caf::error& failure) { done(from_caf_error(failure)); });
}

} // namespace

} // namespace ledgerflow

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ledgerflow::bridge_task)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::function<void()>)

namespace ledgerflow {

ledger_service::ledger_service(caf::actor_system& system, std::shared_ptr<journal> store, asset_registry assets,
                               ledger_config config, std::shared_ptr<const clock> time)
  : system_(system), context_(std::make_shared<ledger_context>()) {
  context_->store = std::move(store);
  context_->time = std::move(time);
  context_->metrics = std::make_shared<ledger_metrics>();
  context_->assets = std::move(assets);
  context_->config = std::move(config);
}

ledger_service::~ledger_service() {
  stop();
}

status ledger_service::start() {
  auto& ctx = *context_;
  ctx.hub = spawn_balance_hub(system_);
  ctx.writer = spawn_journal_writer(system_, ctx.store, ctx.hub, ctx.metrics,
                                    journal_writer_options{ctx.config.batch_entries_max});
  for (size_t shard = 0; shard < std::max<size_t>(1, ctx.config.registry_shards); ++shard)
    ctx.registry_shards.push_back(spawn_account_registry(system_, context_));
  for (size_t shard = 0; shard < std::max<size_t>(1, ctx.config.idempotency_shards); ++shard)
    guards_.push_back(spawn_idempotency_guard(system_, context_, static_cast<uint32_t>(shard)));
  for (size_t index = 0; index < bridge_count; ++index)
    bridges_.push_back(system_.spawn(bridge));
  reader_ = system_.spawn<caf::detached>(journal_reader);
  started_ = true;
  if (auto recovered = recover_inflight_legs(); !recovered)
    return recovered;
  ready_ = true;
  return done{};
}

status ledger_service::recover_inflight_legs() {
  std::vector<inflight_leg> legs;
  try {
    legs = context_->store->inflight_legs();
  } catch (const std::exception& failure) {
    return make_error(error_code::unavailable, std::string("cannot read in-flight legs: ") + failure.what());
  }
  if (!legs.empty())
    spdlog::info("completing {} transfer legs left in flight", legs.size());
  caf::scoped_actor self{system_};
  auto timeout = std::chrono::milliseconds(context_->config.command_timeout_ms);
  for (auto& leg : legs) {
    std::optional<error> failure;
    auto transfer_id = leg.transfer_id;
    self->request(context_->registry_for(leg.to_account), timeout, credit_atom::value, std::move(leg))
      .receive([](transfer_receipt&) {}, [&](caf::error& err) { failure = from_caf_error(err); });
    if (failure)
      return make_error(failure->code, "cannot complete transfer " + transfer_id + ": " + failure->message);
  }
  return done{};
}

void ledger_service::stop() {
  if (!started_)
    return;
  started_ = false;
  ready_ = false;
  auto stop_all = [](std::vector<caf::actor>& actors) {
    for (auto& actor : actors)
      caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
    actors.clear();
  };
  stop_all(bridges_);
  stop_all(guards_);
  stop_all(context_->registry_shards);
  // The writer handles messages in order: everything sent to it before this exit is flushed
  // by the flush marker it already queued.
  caf::scoped_actor self{system_};
  self->request(context_->writer, std::chrono::seconds(30), flush_atom::value).receive([] {}, [](caf::error&) {});
  for (auto* actor : {&context_->writer, &context_->hub, &reader_})
    caf::anon_send_exit(*actor, caf::exit_reason::user_shutdown);
}

const caf::actor& ledger_service::guard_for(const std::string& idempotency_key) const {
  return guards_[std::hash<std::string>{}(idempotency_key) % guards_.size()];
}

const caf::actor& ledger_service::next_bridge() {
  return bridges_[next_bridge_.fetch_add(1, std::memory_order_relaxed) % bridges_.size()];
}

void ledger_service::transfer(transfer_request request, callback<transfer_receipt> done) {
  if (!ready_)
    return done(make_error(error_code::unavailable, "the ledger is not ready"));
  auto guard = guard_for(request.idempotency_key);
  auto timeout = std::chrono::milliseconds(context_->config.command_timeout_ms);
  caf::anon_send(next_bridge(), call_atom::value,
                 bridge_task{[guard, timeout, request = std::move(request), done = std::move(done)](
                               caf::event_based_actor* self) mutable {
                   request_into<transfer_receipt>(self, guard, timeout,
                                                  caf::make_message(transfer_atom::value, std::move(request)),
                                                  std::move(done));
                 }});
}

void ledger_service::get_account(std::string account, callback<account_view> done) {
  if (!ready_)
    return done(make_error(error_code::unavailable, "the ledger is not ready"));
  if (auto valid = parse_account_id(account); !valid)
    return done(valid.error());
  auto registry = context_->registry_for(account);
  auto timeout = std::chrono::milliseconds(context_->config.command_timeout_ms);
  auto found = [done = std::move(done)](outcome<account_view> view) {
    if (view && view->seq == 0)
      return done(make_error(error_code::not_found, "account " + view->id + " has no entries"));
    done(std::move(view));
  };
  caf::anon_send(next_bridge(), call_atom::value,
                 bridge_task{[registry, timeout, account = std::move(account), found = std::move(found)](
                               caf::event_based_actor* self) mutable {
                   request_into<account_view>(self, registry, timeout,
                                              caf::make_message(view_atom::value, std::move(account)),
                                              std::move(found));
                 }});
}

void ledger_service::get_entries(std::string account, uint64_t after_seq, size_t limit,
                                 callback<std::vector<journal_entry>> done) {
  if (!ready_)
    return done(make_error(error_code::unavailable, "the ledger is not ready"));
  if (auto valid = parse_account_id(account); !valid)
    return done(valid.error());
  // The journal holds only durable entries, so reading it directly never shows a change
  // that could still be lost.
  caf::anon_send(reader_, call_atom::value,
                 std::function<void()>{[store = context_->store, account = std::move(account), after_seq, limit,
                                        done = std::move(done)] {
                   try {
                     done(store->read_entries(account, after_seq, limit));
                   } catch (const std::exception& failure) {
                     done(make_error(error_code::unavailable, std::string("journal read failed: ") + failure.what()));
                   }
                 }});
}

std::string ledger_service::metrics_text() const {
  auto text = context_->metrics->render();
  text += "# HELP ledgerflow_ready Whether the ledger serves (storage open, recovery done).\n"
          "# TYPE ledgerflow_ready gauge\nledgerflow_ready ";
  text += ready_ ? "1\n" : "0\n";
  return text;
}

} // namespace ledgerflow
