#include "actors/providers/provider_supervisor.hpp"

#include <algorithm>
#include <deque>
#include <optional>
#include <unordered_map>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/providers/circuit_breaker.hpp"
#include "actors/providers/provider_messages.hpp"
#include "actors/providers/provider_worker.hpp"
#include "actors/providers/retry_schedule.hpp"
#include "protocols/provider_operations.hpp"

namespace ledgerflow {

namespace {

using time_point = std::chrono::steady_clock::time_point;

// A call the supervisor has taken on: answered exactly once, by reply().
struct admitted_call {
  caf::strong_actor_ptr caller;
  uint64_t caller_id = 0;
  shared_call call;
  uint32_t attempts = 0;
  // The failure of the last attempt, while a retry waits: if the retry is refused (breaker
  // opened, queue full) the caller learns that the provider was tried, not "unavailable".
  std::optional<call_outcome> last_failure;
};

struct worker_slot {
  caf::actor worker;
  uint64_t token = 0;  // of the attempt running on it; 0 when idle
  std::optional<admitted_call> call;  // empty once the attempt timed out (abandoned)
  time_point attempt_started{};
  time_point deadline{};      // the attempt's timeout
  time_point stuck_after{};   // when an abandoned worker is replaced
};

class supervisor_state {
public:
  caf::stateful_actor<supervisor_state>* self = nullptr;
  static inline const char* name = "provider_supervisor";

  void init(supervisor_settings settings, std::shared_ptr<provider_adapter> adapter,
            std::shared_ptr<provider_gauges> gauges);
  void on_call(uint64_t caller_id, provider_call& call);
  void on_attempt_done(uint32_t slot_index, uint64_t token, call_outcome& outcome);
  void on_retry_due(uint64_t backoff_id);
  void on_tick();
  void on_worker_down(const caf::down_msg& down);
  provider_status apply(breaker_action action);
  provider_status status() const { return gauges_->snapshot(); }
  void poll_breaker();
  void on_exit_message(const caf::exit_msg& exit);

private:
  time_point now() const { return self->clock().now(); }
  void admit(admitted_call call);
  void dispatch(uint32_t slot_index, admitted_call call, time_point started);
  void finish_attempt(admitted_call call, call_outcome outcome, time_point started);
  void run_inline(uint32_t slot_index, uint64_t token, const provider_call& call);
  void complete_attempt(uint32_t slot_index, uint64_t token, call_outcome& outcome);
  void reply(admitted_call& call, call_outcome outcome);
  void refuse(admitted_call& call, std::atomic<uint64_t>& counter, const char* code, const char* message);
  void pump_queue();
  void free_slot(uint32_t slot_index);
  void replace_worker(uint32_t slot_index);
  void spawn_worker(uint32_t slot_index);
  void ensure_tick();
  void breaker_changed();
  void publish_load();

  supervisor_settings settings_;
  std::shared_ptr<provider_adapter> adapter_;
  std::shared_ptr<provider_gauges> gauges_;
  std::optional<circuit_breaker> breaker_;
  std::optional<retry_schedule> retries_;
  std::vector<worker_slot> slots_;
  std::vector<uint32_t> idle_slots_;
  std::deque<admitted_call> waiting_;
  std::unordered_map<uint64_t, admitted_call> backing_off_;
  uint64_t next_backoff_id_ = 1;
  uint64_t next_token_ = 1;
  uint32_t busy_ = 0;
  bool tick_pending_ = false;
  bool poll_pending_ = false;
};

void supervisor_state::init(supervisor_settings settings, std::shared_ptr<provider_adapter> adapter,
                            std::shared_ptr<provider_gauges> gauges) {
  settings_ = std::move(settings);
  settings_.workers = std::clamp<uint32_t>(settings_.workers, 1, provider_workers_max);
  settings_.queue_max = std::min(settings_.queue_max, provider_queue_max);
  settings_.tick_ms = std::max<uint32_t>(settings_.tick_ms, 1);
  adapter_ = std::move(adapter);
  gauges_ = std::move(gauges);
  breaker_.emplace(settings_.breaker);
  retries_.emplace(settings_.retry, settings_.jitter_seed);
  breaker_->on_transition([this](breaker_state from, breaker_state to) {
    spdlog::info("provider {}: breaker {} -> {}", settings_.name, to_string(from), to_string(to));
  });
  slots_.resize(settings_.workers);
  for (uint32_t index = 0; index < settings_.workers; ++index) {
    spawn_worker(index);
    idle_slots_.push_back(settings_.workers - 1 - index);  // slot 0 first
  }
  gauges_->publish(breaker_->snapshot());
  publish_load();
}

void supervisor_state::spawn_worker(uint32_t slot_index) {
  // Linked, so workers stop with their supervisor; monitored, so a crash is seen as a down
  // message (the exit message of the link is ignored, see on_exit_message).
  slots_[slot_index].worker = self->spawn<caf::monitored + caf::linked>(
    provider_worker, adapter_, self->address(), std::chrono::milliseconds(settings_.timeout_ms));
}

void supervisor_state::on_call(uint64_t caller_id, provider_call& call) {
  if (auto problem = check_call(adapter_->kind(), call)) {
    admitted_call refused{self->current_sender(), caller_id, nullptr, 0, std::nullopt};
    gauges_->count(gauges_->rejected);
    reply(refused, call_outcome::failure(failure_kind::rejected, "bad_call", *problem));
    return;
  }
  admit({self->current_sender(), caller_id, std::make_shared<const provider_call>(std::move(call)), 0, std::nullopt});
}

// Starts the call on an idle worker, or queues it, or refuses it; the breaker is asked first
// so that an open provider costs its callers nothing.
void supervisor_state::admit(admitted_call call) {
  auto current = now();
  if (breaker_->refuses(current))
    return refuse(call, gauges_->not_permitted, "breaker_open", "the provider's circuit breaker is open");
  if (!idle_slots_.empty()) {
    auto slot_index = idle_slots_.back();
    idle_slots_.pop_back();
    return dispatch(slot_index, std::move(call), current);
  }
  if (waiting_.size() + backing_off_.size() >= settings_.queue_max)
    return refuse(call, gauges_->bulkhead_full, "bulkhead_full", "every worker is busy and the queue is full");
  waiting_.push_back(std::move(call));
  publish_load();
}

void supervisor_state::dispatch(uint32_t slot_index, admitted_call call, time_point started) {
  if (!breaker_->try_acquire(started)) {
    idle_slots_.push_back(slot_index);
    breaker_changed();
    return refuse(call, gauges_->not_permitted, "breaker_open", "the provider's circuit breaker is open");
  }
  if (++call.attempts > 1)
    gauges_->count(gauges_->retries);
  auto& slot = slots_[slot_index];
  slot.token = next_token_++;
  slot.attempt_started = started;
  slot.deadline = started + std::chrono::milliseconds(settings_.timeout_ms);
  auto token = slot.token;
  auto shared = call.call;
  slot.call = std::move(call);
  ++busy_;
  publish_load();
  ensure_tick();
  if (settings_.inline_calls)
    run_inline(slot_index, token, *shared);
  else
    self->send(slot.worker, attempt_atom::value, slot_index, token, std::move(shared));
}

// The answer of an inline attempt that came back before start() returned: taken without a
// message. One frame per thread, since an adapter calls back on the thread that started it.
struct inline_frame {
  uint64_t token = 0;
  bool answered = false;
  call_outcome outcome;
};
thread_local inline_frame* current_inline_frame = nullptr;

void supervisor_state::run_inline(uint32_t slot_index, uint64_t token, const provider_call& call) {
  inline_frame frame;
  frame.token = token;
  auto report = completion_for(self->address(), slot_index, token);
  auto done = [report = std::move(report), token](call_outcome outcome, std::chrono::microseconds after) {
    auto* waiting = current_inline_frame;
    if (waiting != nullptr && waiting->token == token && after.count() <= 0) {
      waiting->answered = true;
      waiting->outcome = std::move(outcome);
      return;
    }
    report(std::move(outcome), after);  // later, or from another thread: as a worker would
  };
  current_inline_frame = &frame;
  try {
    adapter_->start(call, std::chrono::milliseconds(settings_.timeout_ms), std::move(done));
  } catch (const std::exception& failure) {
    spdlog::error("provider {}: the adapter threw: {}", settings_.name, failure.what());
    gauges_->count(gauges_->worker_restarts);
    frame.answered = true;
    frame.outcome = call_outcome::failure(failure_kind::transient, "adapter_crashed", failure.what());
  }
  current_inline_frame = nullptr;
  if (frame.answered)
    complete_attempt(slot_index, token, frame.outcome);
}

void supervisor_state::on_attempt_done(uint32_t slot_index, uint64_t token, call_outcome& outcome) {
  complete_attempt(slot_index, token, outcome);
  pump_queue();
}

// Frees the attempt's worker and carries its outcome on; does not start queued calls, so that
// an inline attempt answered at once does not recurse through the queue.
void supervisor_state::complete_attempt(uint32_t slot_index, uint64_t token, call_outcome& outcome) {
  if (slot_index >= slots_.size() || slots_[slot_index].token != token || token == 0)
    return;  // a worker replaced since, or an attempt already ended
  auto& slot = slots_[slot_index];
  auto started = slot.attempt_started;
  std::optional<admitted_call> call = std::move(slot.call);
  free_slot(slot_index);
  if (call)  // else it timed out and was handled then
    finish_attempt(std::move(*call), std::move(outcome), started);
}

void supervisor_state::finish_attempt(admitted_call call, call_outcome outcome, time_point started) {
  auto ended = now();
  gauges_->observe_attempt_ms(std::chrono::duration<double, std::milli>(ended - started).count());
  bool provider_failed = !outcome.ok() && is_retryable(outcome.failure().kind);
  auto before = breaker_->state();
  breaker_->on_result(ended, provider_failed, ended - started);
  if (breaker_->state() != before || provider_failed)
    breaker_changed();
  if (provider_failed && retries_->may_retry(call.attempts)) {
    call.last_failure = std::move(outcome);
    auto backoff_id = next_backoff_id_++;
    self->delayed_send(self, retries_->backoff(call.attempts), retry_due_atom::value, backoff_id);
    backing_off_.emplace(backoff_id, std::move(call));
    publish_load();
    return;
  }
  if (outcome.ok())
    gauges_->count(gauges_->succeeded);
  else if (outcome.failure().kind == failure_kind::timeout)
    gauges_->count(gauges_->timed_out);
  else if (outcome.failure().kind == failure_kind::rejected)
    gauges_->count(gauges_->rejected);
  else
    gauges_->count(gauges_->failed);
  reply(call, std::move(outcome));
}

void supervisor_state::on_retry_due(uint64_t backoff_id) {
  auto found = backing_off_.find(backoff_id);
  if (found == backing_off_.end())
    return;
  auto call = std::move(found->second);
  backing_off_.erase(found);
  admit(std::move(call));
  publish_load();
}

// Times out attempts past their deadline and replaces workers stuck past their grace.
void supervisor_state::on_tick() {
  tick_pending_ = false;
  auto current = now();
  for (uint32_t index = 0; index < slots_.size(); ++index) {
    auto& slot = slots_[index];
    if (slot.token == 0)
      continue;
    if (slot.call && current >= slot.deadline) {
      auto call = std::move(*slot.call);
      slot.call.reset();
      slot.stuck_after = current + std::chrono::milliseconds(settings_.stuck_worker_grace_ms);
      auto message = "no answer within " + std::to_string(settings_.timeout_ms) + " ms";
      finish_attempt(std::move(call), call_outcome::failure(failure_kind::timeout, "timeout", message),
                     slot.attempt_started);
    } else if (!slot.call && current >= slot.stuck_after) {
      spdlog::warn("provider {}: worker {} stuck past its timeout, replacing it", settings_.name, index);
      replace_worker(index);
    }
  }
  pump_queue();
  ensure_tick();
}

void supervisor_state::on_worker_down(const caf::down_msg& down) {
  for (uint32_t index = 0; index < slots_.size(); ++index) {
    auto& slot = slots_[index];
    if (slot.worker.address() != down.source)
      continue;
    spdlog::error("provider {}: worker {} crashed ({}), restarting it", settings_.name, index,
                  self->system().render(down.reason));
    auto started = slot.attempt_started;
    std::optional<admitted_call> call = std::move(slot.call);
    bool was_busy = slot.token != 0;
    slot.worker = nullptr;
    slot.token = 0;
    slot.call.reset();
    if (was_busy)
      --busy_;
    spawn_worker(index);
    gauges_->count(gauges_->worker_restarts);
    idle_slots_.push_back(index);
    if (call)
      finish_attempt(std::move(*call), call_outcome::failure(failure_kind::transient, "worker_crashed",
                                                             "the worker running the call crashed"),
                     started);
    pump_queue();
    return;
  }
}

void supervisor_state::replace_worker(uint32_t slot_index) {
  auto& slot = slots_[slot_index];
  self->demonitor(slot.worker);
  self->unlink_from(slot.worker);
  self->send_exit(slot.worker, caf::exit_reason::kill);
  gauges_->count(gauges_->worker_restarts);
  spawn_worker(slot_index);
  free_slot(slot_index);
}

void supervisor_state::free_slot(uint32_t slot_index) {
  auto& slot = slots_[slot_index];
  slot.token = 0;
  slot.call.reset();
  --busy_;
  idle_slots_.push_back(slot_index);
  publish_load();
}

void supervisor_state::pump_queue() {
  while (!idle_slots_.empty() && !waiting_.empty()) {
    auto call = std::move(waiting_.front());
    waiting_.pop_front();
    auto slot_index = idle_slots_.back();
    idle_slots_.pop_back();
    dispatch(slot_index, std::move(call), now());
  }
  publish_load();
}

void supervisor_state::reply(admitted_call& call, call_outcome outcome) {
  if (call.caller)
    self->send(caf::actor_cast<caf::actor>(call.caller), provider_reply_atom::value, call.caller_id,
               provider_reply{std::move(outcome), call.attempts});
}

void supervisor_state::refuse(admitted_call& call, std::atomic<uint64_t>& counter, const char* code,
                              const char* message) {
  if (call.last_failure) {
    // Tried before: the outcome at the provider is that attempt's, and only "unavailable"
    // promises that nothing was tried (failover relies on it).
    auto failure = std::move(*call.last_failure);
    gauges_->count(failure.failure().kind == failure_kind::timeout ? gauges_->timed_out : gauges_->failed);
    return reply(call, call_outcome::failure(failure.failure().kind, failure.failure().code,
                                             failure.failure().message + "; not retried: " + message));
  }
  gauges_->count(counter);
  reply(call, call_outcome::failure(failure_kind::unavailable, code, message));
}

void supervisor_state::ensure_tick() {
  if (tick_pending_ || busy_ == 0)
    return;
  tick_pending_ = true;
  self->delayed_send(self, std::chrono::milliseconds(settings_.tick_ms), supervisor_tick_atom::value);
}

// Publishes the breaker, and wakes up when an open breaker's wait ends, so gauges and the
// admin API show half-open without waiting for a call.
void supervisor_state::breaker_changed() {
  gauges_->publish(breaker_->snapshot());
  if (breaker_->state() == breaker_state::open && !poll_pending_) {
    poll_pending_ = true;
    auto wait = breaker_->open_until() - now();
    self->delayed_send(self, std::max(wait, decltype(wait)::zero()), breaker_poll_atom::value);
  }
}

void supervisor_state::poll_breaker() {
  poll_pending_ = false;
  breaker_->poll(now());
  breaker_changed();
}

provider_status supervisor_state::apply(breaker_action action) {
  breaker_->apply(action, now());
  breaker_changed();
  return gauges_->snapshot();
}

void supervisor_state::publish_load() {
  gauges_->set_load(busy_, static_cast<uint32_t>(waiting_.size() + backing_off_.size()));
}

// A worker's end reaches the down handler; any other exit message (a shutdown) stops the
// supervisor, and its links stop the workers.
void supervisor_state::on_exit_message(const caf::exit_msg& exit) {
  for (const auto& slot : slots_)
    if (slot.worker && slot.worker.address() == exit.source)
      return;
  self->quit(exit.reason);
}

caf::behavior provider_supervisor(caf::stateful_actor<supervisor_state>* self, supervisor_settings settings,
                                  std::shared_ptr<provider_adapter> adapter, std::shared_ptr<provider_gauges> gauges) {
  auto& state = self->state;
  state.self = self;
  state.init(std::move(settings), std::move(adapter), std::move(gauges));
  self->set_down_handler([self](caf::down_msg& down) { self->state.on_worker_down(down); });
  self->set_exit_handler([self](caf::exit_msg& exit) { self->state.on_exit_message(exit); });
  return {
    [self](provider_call_atom, uint64_t id, provider_call& call) { self->state.on_call(id, call); },
    [self](attempt_done_atom, uint32_t slot, uint64_t token, call_outcome& outcome) {
      self->state.on_attempt_done(slot, token, outcome);
    },
    [self](retry_due_atom, uint64_t backoff_id) { self->state.on_retry_due(backoff_id); },
    [self](supervisor_tick_atom) { self->state.on_tick(); },
    [self](breaker_poll_atom) { self->state.poll_breaker(); },
    [self](provider_status_atom) { return self->state.status(); },
    [self](provider_breaker_atom, breaker_action action) { return self->state.apply(action); },
  };
}

} // namespace

caf::actor spawn_provider_supervisor(caf::actor_system& system, supervisor_settings settings,
                                     std::shared_ptr<provider_adapter> adapter,
                                     std::shared_ptr<provider_gauges> gauges) {
  return system.spawn(provider_supervisor, std::move(settings), std::move(adapter), std::move(gauges));
}

} // namespace ledgerflow
