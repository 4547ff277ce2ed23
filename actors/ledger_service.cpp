#include "actors/ledger_service.hpp"

#include <algorithm>
#include <future>
#include <limits>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include "actors/account_actor.hpp"
#include "actors/balance_hub.hpp"
#include "actors/journal_writer.hpp"
#include "actors/message_types.hpp"
#include "actors/transfer_finisher.hpp"
#include "protocols/hex.hpp"

namespace ledgerflow {

namespace {

constexpr size_t finisher_count = 2;

// Answers callers whose transfer missed its deadline, once a second. One sweep replaces a
// CAF timer per request (each timer wakes the clock thread).
caf::behavior deadline_sweeper(caf::event_based_actor* self, std::weak_ptr<idempotency_guard> guard,
                               std::shared_ptr<const clock> time) {
  self->delayed_send(self, std::chrono::seconds(1), sweep_atom::value);
  return {
    [self, guard, time](sweep_atom) {
      if (auto live = guard.lock())
        live->sweep_deadlines(time->now_us());
      self->delayed_send(self, std::chrono::seconds(1), sweep_atom::value);
    },
  };
}

// Runs blocking journal reads off the scheduler threads.
caf::behavior journal_reader(caf::event_based_actor*) {
  return {[](call_atom, const std::function<void()>& task) { task(); }};
}

} // namespace

} // namespace ledgerflow

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
  unsigned char random[6];
  RAND_bytes(random, sizeof(random));
  // Random per process start, so ids stay unique across restarts without a counter on disk.
  process_tag_ = to_hex(random, sizeof(random));
}

ledger_service::~ledger_service() {
  stop();
}

status ledger_service::start() {
  auto& ctx = *context_;
  ctx.guard = std::make_shared<idempotency_guard>(
    ctx.store, ctx.time, ctx.metrics,
    idempotency_guard::options{ctx.config.idempotency_shards, ctx.config.command_timeout_ms});
  // One finisher per scheduler thread is enough to spread the callers' continuations.
  for (size_t index = 0; index < finisher_count; ++index)
    finishers_.push_back(spawn_transfer_finisher(system_, ctx.guard));
  ctx.hub = spawn_balance_hub(system_);
  ctx.writer = spawn_journal_writer(system_, ctx.store, ctx.hub, finishers_, ctx.metrics,
                                    journal_writer_options{ctx.config.batch_entries_max});
  std::weak_ptr<const ledger_context> weak_context = context_;
  ctx.accounts = std::make_shared<account_registry>(
    ctx.config.registry_shards,
    [this, weak_context](const std::string& account) {
      return spawn_account_actor(system_, account, weak_context.lock());
    },
    ctx.metrics);
  sweeper_ = system_.spawn(deadline_sweeper, std::weak_ptr<idempotency_guard>(ctx.guard), ctx.time);
  reader_ = system_.spawn<caf::detached>(journal_reader);
  started_ = true;
  if (auto recovered = recover_inflight_legs(); !recovered)
    return recovered;
  ready_ = true;
  return done{};
}

// Sends every leg a crash left in flight to its incoming account, all at once, and waits for
// each to be durable (or for its deadline).
status ledger_service::recover_inflight_legs() {
  std::vector<inflight_leg> legs;
  try {
    legs = context_->store->inflight_legs();
  } catch (const std::exception& failure) {
    return make_error(error_code::unavailable, std::string("cannot read in-flight legs: ") + failure.what());
  }
  if (legs.empty())
    return done{};
  spdlog::info("completing {} transfer legs left in flight", legs.size());
  std::vector<std::pair<std::string, std::future<outcome<transfer_receipt>>>> completions;
  for (auto& leg : legs) {
    auto promise = std::make_shared<std::promise<outcome<transfer_receipt>>>();
    completions.emplace_back(leg.transfer_id, promise->get_future());
    auto answer = [promise](outcome<transfer_receipt> result) { promise->set_value(std::move(result)); };
    if (!context_->guard->begin(leg.idempotency_key, leg.request_hash, std::move(answer)))
      continue;  // already recorded, so already complete
    auto to_account = leg.to_account;
    context_->accounts->send(to_account, caf::make_message(credit_atom::value, std::move(leg)));
  }
  for (auto& [transfer_id, completion] : completions)
    if (auto result = completion.get(); !result)
      return make_error(result.error().code, "cannot complete transfer " + transfer_id + ": " + result.error().message);
  return done{};
}

void ledger_service::stop() {
  if (!started_)
    return;
  started_ = false;
  ready_ = false;
  caf::anon_send_exit(sweeper_, caf::exit_reason::user_shutdown);
  context_->accounts->stop_all(caf::exit_reason::user_shutdown);
  // The writer handles messages in order: everything sent to it before this exit is flushed
  // by the flush marker it already queued.
  caf::scoped_actor self{system_};
  self->request(context_->writer, std::chrono::seconds(30), flush_atom::value).receive([] {}, [](caf::error&) {});
  for (auto& listener : listeners_)
    caf::anon_send_exit(listener, caf::exit_reason::user_shutdown);
  for (auto* actor : {&context_->writer, &context_->hub, &reader_})
    caf::anon_send_exit(*actor, caf::exit_reason::user_shutdown);
  for (auto& finisher : finishers_)
    caf::anon_send_exit(finisher, caf::exit_reason::user_shutdown);
  finishers_.clear();
  // Nobody is left to finish what is still pending: its callers learn the outcome is unknown.
  context_->guard->sweep_deadlines(std::numeric_limits<int64_t>::max());
}

// "<kind>_<process tag>_<16 hex digits of a counter>", written by hand: once per request,
// where snprintf's format parsing cost more than the rest of building the id.
std::string ledger_service::new_id(std::string_view kind) {
  static constexpr char digits[] = "0123456789abcdef";
  constexpr size_t counter_digits = 16;
  auto counter = next_id_.fetch_add(1, std::memory_order_relaxed) + 1;
  std::string id;
  id.reserve(kind.size() + process_tag_.size() + 2 + counter_digits);
  id += kind;
  id += '_';
  id += process_tag_;
  id += '_';
  id.append(counter_digits, '0');
  for (size_t digit = id.size(); counter != 0; counter >>= 4)
    id[--digit] = digits[counter & 0x0f];
  return id;
}

bool ledger_service::admissible(const status& valid, callback<transfer_receipt>& done) {
  if (!ready_) {
    done(make_error(error_code::unavailable, "the ledger is not ready"));
    return false;
  }
  if (!valid) {
    context_->metrics->transfers_failed.fetch_add(1, std::memory_order_relaxed);
    done(valid.error());
    return false;
  }
  return true;
}

void ledger_service::transfer(transfer_request request, callback<transfer_receipt> done) {
  std::string asset_code;
  if (!admissible(validate_transfer(request, context_->assets, asset_code), done))
    return;
  auto hash = request_hash(request);
  if (!context_->guard->begin(request.idempotency_key, hash, std::move(done)))
    return;  // a repeat: answered by the guard
  auto from_account = request.from_account;
  transfer_command command{std::move(request), new_id("tr"), std::move(hash), std::move(asset_code),
                           context_->time->now_us()};
  context_->accounts->send(from_account, caf::make_message(transfer_atom::value, std::move(command)));
}

void ledger_service::hold(hold_request request, callback<transfer_receipt> done) {
  std::string asset_code;
  if (!admissible(validate_hold(request, context_->assets, asset_code), done))
    return;
  auto hash = request_hash(request);
  if (!context_->guard->begin(request.idempotency_key, hash, std::move(done)))
    return;
  auto account = request.account;
  hold_command command{std::move(request), new_id("hd"), std::move(hash), std::move(asset_code),
                       context_->time->now_us()};
  context_->accounts->send(account, caf::make_message(hold_atom::value, std::move(command)));
}

void ledger_service::release(release_request request, callback<transfer_receipt> done) {
  if (!admissible(validate_release(request), done))
    return;
  auto hash = request_hash(request);
  if (!context_->guard->begin(request.idempotency_key, hash, std::move(done)))
    return;
  auto account = request.account;
  release_command command{std::move(request), std::move(hash), context_->time->now_us()};
  context_->accounts->send(account, caf::make_message(release_atom::value, std::move(command)));
}

void ledger_service::post(post_request request, callback<transfer_receipt> done) {
  std::string asset_code;
  if (!admissible(validate_post(request, context_->assets, asset_code), done))
    return;
  auto hash = request_hash(request);
  if (!context_->guard->begin(request.idempotency_key, hash, std::move(done)))
    return;
  auto account = request.account;
  post_command command{std::move(request), new_id("tr"), std::move(hash), std::move(asset_code),
                       context_->time->now_us()};
  context_->accounts->send(account, caf::make_message(post_atom::value, std::move(command)));
}

void ledger_service::get_account(std::string account, callback<account_view> done) {
  if (!ready_)
    return done(make_error(error_code::unavailable, "the ledger is not ready"));
  if (auto valid = parse_account_id(account); !valid)
    return done(valid.error());
  auto found = [done = std::move(done)](outcome<account_view> view) {
    if (view && view->seq == 0)
      return done(make_error(error_code::not_found, "account " + view->id + " has no entries"));
    done(std::move(view));
  };
  context_->accounts->send(account, caf::make_message(view_atom::value, view_request{std::move(found)}));
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

void ledger_service::on_durable(durable_listener listener) {
  if (!started_)
    return;
  listeners_.push_back(spawn_hub_listener(system_, context_->hub, std::move(listener)));
}

bool ledger_service::storage_healthy() const {
  return context_->store->healthy();
}

std::string ledger_service::metrics_text() const {
  auto text = context_->metrics->render();
  text += "# HELP ledgerflow_ready Whether the ledger serves (storage open, recovery done).\n"
          "# TYPE ledgerflow_ready gauge\nledgerflow_ready ";
  text += ready_ ? "1\n" : "0\n";
  text += "# HELP ledgerflow_storage_healthy Whether the journal's storage answers now.\n"
          "# TYPE ledgerflow_storage_healthy gauge\nledgerflow_storage_healthy ";
  text += storage_healthy() ? "1\n" : "0\n";
  return text;
}

} // namespace ledgerflow
