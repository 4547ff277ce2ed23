#include "sagas/saga_coordinator.hpp"

#include <algorithm>
#include <chrono>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/message_types.hpp"
#include "actors/providers/provider_messages.hpp"
#include "protocols/seeded_random.hpp"

namespace ledgerflow {

namespace {

// What the attempt in flight is for: the step itself, the step again to learn whether an
// uncertain outcome happened (before compensating it), or the step's compensation.
enum class attempt_mode { forward, resolve, compensate };

struct coordinator_state {
  saga_runtime_ptr runtime;
  const saga_definition* definition = nullptr;
  caf::actor engine;
  saga_data saga;
  saga_reply started;
  std::vector<saga_reply> viewers;  // duplicate starts waiting for the first durable record

  // The attempt in flight.
  bool busy = false;
  bool launching = false;  // its record is on its way to disk; it runs once durable
  uint64_t attempt = 0;
  attempt_mode mode = attempt_mode::forward;
  size_t step = 0;
  step_action action;
  std::vector<outcome<transfer_receipt>> ledger_results;
  size_t ledger_pending = 0;
  std::vector<const supervised_provider*> candidates;
  size_t candidate = 0;

  uint64_t timer_epoch = 0;  // a timer with another epoch is stale
  bool waiting_on_provider = false;
  uint32_t failures_in_row = 0;
  uint64_t jitter_state = 0;  // seeded from the saga's id: the same saga backs off the same way
  uint64_t durable_version = 0;
  std::vector<std::pair<uint64_t, std::function<void()>>> after_durable;

  static inline const char* name = "saga_coordinator";
};

using coordinator = caf::stateful_actor<coordinator_state>;

int64_t now_us(coordinator* self) { return self->state.runtime->time->now_us(); }

step_record& current_record(coordinator* self) { return self->state.saga.steps[self->state.saga.current]; }
const step_definition& current_definition(coordinator* self) {
  return self->state.definition->steps[self->state.saga.current];
}

void run(coordinator* self);

void set_state(coordinator* self, const std::string& next) {
  auto& saga = self->state.saga;
  if (saga.state == next)
    return;
  self->state.runtime->metrics->moved(saga.type, saga.state, next);
  saga.state = next;
}

// Writes the saga's record (one version up) and calls `then` once it is durable.
void persist(coordinator* self, std::function<void()> then = nullptr) {
  auto& st = self->state;
  st.saga.version += 1;
  st.saga.updated_us = now_us(self);
  write_request request;
  request.batch.saga_records.push_back(to_record(st.saga));
  request.token = st.saga.version;
  request.notify = caf::actor_cast<caf::actor>(self);
  self->send(st.runtime->writer, append_atom::value, std::move(request));
  if (then)
    st.after_durable.emplace_back(st.saga.version, std::move(then));
}

void on_durable(coordinator* self, uint64_t token) {
  auto& st = self->state;
  st.durable_version = std::max(st.durable_version, token);
  if (st.started) {
    auto started = std::move(st.started);
    st.started = nullptr;
    started(to_record(st.saga));
  }
  for (auto& viewer : st.viewers)
    viewer(to_record(st.saga));
  st.viewers.clear();
  auto ready = std::partition(st.after_durable.begin(), st.after_durable.end(),
                              [&](const auto& pending) { return pending.first > st.durable_version; });
  std::vector<std::function<void()>> due;
  for (auto it = ready; it != st.after_durable.end(); ++it)
    due.push_back(std::move(it->second));
  st.after_durable.erase(ready, st.after_durable.end());
  for (auto& then : due)
    then();
}

void arm_timer(coordinator* self, uint32_t delay_ms) {
  auto epoch = ++self->state.timer_epoch;
  self->delayed_send(self, std::chrono::milliseconds(delay_ms), saga_timer_atom::value, epoch);
}

// Exponential from retry_backoff_ms up to retry_backoff_max_ms, with jitter: a uniform draw in
// [half, all] of it, so sagas that failed together (one outage) do not retry in lockstep.
uint32_t backoff_ms(const saga_settings& settings, uint32_t failures, uint64_t& jitter_state) {
  uint64_t delay = settings.retry_backoff_ms;
  for (uint32_t i = 1; i < failures && delay < settings.retry_backoff_max_ms; ++i)
    delay *= 2;
  delay = std::min<uint64_t>(delay, settings.retry_backoff_max_ms);
  auto jittered = static_cast<double>(delay) * (0.5 + 0.5 * next_seeded_unit(jitter_state));
  return std::max<uint32_t>(1, static_cast<uint32_t>(jittered));
}

int64_t step_deadline_us(coordinator* self, const step_definition& definition, const step_record& record) {
  const auto& settings = self->state.runtime->flows->settings;
  auto timeout_ms = definition.confirmation_wait ? settings.confirmation_timeout_ms : settings.step_timeout_ms;
  return record.started_us + int64_t{timeout_ms} * 1000;
}

int64_t compensation_deadline_us(coordinator* self, const compensation_record& compensation) {
  return compensation.started_us + int64_t{self->state.runtime->flows->settings.compensation_timeout_ms} * 1000;
}

// The saga is terminal: written, then the engine is told and the actor ends.
void finish(coordinator* self, const std::string& terminal) {
  auto& st = self->state;
  st.timer_epoch += 1;
  set_state(self, terminal);
  st.saga.waiting_for.clear();
  if (terminal == "completed")
    st.saga.current = st.saga.steps.size();
  st.runtime->metrics->ended(st.saga.type, static_cast<double>(now_us(self) - st.saga.created_us) / 1000.0);
  if (terminal == "failed")
    spdlog::warn("saga {} failed and needs an operator: {}", st.saga.id,
                 st.saga.error ? st.saga.error->message : std::string("(no error)"));
  persist(self, [self] {
    if (self->state.runtime->on_terminal)
      self->state.runtime->on_terminal(to_record(self->state.saga));
    self->send(self->state.engine, saga_ended_atom::value, self->state.saga.id);
    self->quit();
  });
}

void go_backward(coordinator* self, saga_error error) {
  auto& st = self->state;
  st.saga.backward = true;
  st.saga.cause = error;
  st.saga.error = std::move(error);
  st.saga.waiting_for.clear();
  set_state(self, "compensating");
  st.runtime->metrics->compensation_started(st.saga.type);
}

// --- launching an attempt ----------------------------------------------------------------

void send_provider_call(coordinator* self) {
  auto& st = self->state;
  auto* target = st.candidates[st.candidate];
  self->send(target->supervisor, provider_call_atom::value, st.attempt, st.action.provider->call);
}

void attempt_refused(coordinator* self, saga_error error);

void launch(coordinator* self) {
  auto& st = self->state;
  st.launching = false;
  st.busy = true;
  st.attempt += 1;
  if (!st.action.ledger.empty()) {
    st.ledger_results.assign(st.action.ledger.size(), make_error(error_code::internal, "no answer"));
    st.ledger_pending = st.action.ledger.size();
    auto handle = caf::actor_cast<caf::actor>(self);
    auto* ledger = st.runtime->ledger;
    for (size_t index = 0; index < st.action.ledger.size(); ++index) {
      auto answer = [handle, attempt = st.attempt, index](outcome<transfer_receipt> receipt) {
        caf::anon_send(handle, saga_ledger_atom::value, saga_ledger_result{attempt, index, std::move(receipt)});
      };
      const auto& op = st.action.ledger[index];
      switch (op.what) {
        case ledger_op::kind::transfer: ledger->transfer(op.transfer, answer); break;
        case ledger_op::kind::hold: ledger->hold(op.hold, answer); break;
        case ledger_op::kind::release: ledger->release(op.release, answer); break;
        case ledger_op::kind::post: ledger->post(op.post, answer); break;
      }
    }
    return;
  }
  // A provider call goes to the provider the step already reached (a second one might do the
  // work twice), else the one the params name, else any of the kind, healthy breakers first.
  const auto& op = *st.action.provider;
  const auto& pinned = st.saga.steps[st.step].provider;
  const auto& wanted = pinned.empty() ? op.provider : pinned;
  st.candidates.clear();
  st.candidate = 0;
  if (!wanted.empty()) {
    if (const auto* found = st.runtime->providers->find(wanted); found != nullptr)
      st.candidates.push_back(found);
  } else {
    st.candidates = st.runtime->providers->candidates(op.kind);
  }
  if (st.candidates.empty()) {
    st.busy = false;
    return attempt_refused(self, saga_error{"not_found", "no " + std::string(to_string(op.kind)) + " provider"
                                                           + (wanted.empty() ? "" : " named " + wanted)});
  }
  send_provider_call(self);
}

// Writes the record (the attempt is in it), then runs the attempt.
void launch_after_write(coordinator* self, step_action action, attempt_mode mode, bool write) {
  auto& st = self->state;
  st.action = std::move(action);
  st.mode = mode;
  st.step = st.saga.current;
  st.waiting_on_provider = false;
  if (!write)
    return launch(self);
  if (!st.action.ledger.empty()) {
    // Ledger operations need not wait for the record: it reaches the journal writer before
    // any entry of theirs can (they are asked for only after it is sent, and the writer
    // commits in arrival order), so it is durable no later than they are.
    persist(self);
    return launch(self);
  }
  st.launching = true;
  persist(self, [self] { launch(self); });
}

// --- forward and backward ----------------------------------------------------------------

void run_forward(coordinator* self) {
  auto& st = self->state;
  auto& saga = st.saga;
  while (saga.current < saga.steps.size()) {
    auto& record = current_record(self);
    const auto& definition = current_definition(self);
    if (record.status == "succeeded" || record.status == "skipped") {
      saga.current += 1;
      continue;
    }
    auto now = now_us(self);
    if (record.started_us != 0 && now >= step_deadline_us(self, definition, record)) {
      record.status = record.reached_provider ? "uncertain" : "failed";
      go_backward(self, saga_error{"deadline", "step " + record.name + " did not succeed before its deadline"});
      return run(self);
    }
    auto plan = definition.action(saga);
    if (!plan) {
      record.status = "failed";
      record.error = saga_error{std::string(to_string(plan.error().code)), plan.error().message};
      go_backward(self, *record.error);
      return run(self);
    }
    if (plan->empty()) {
      record.status = "skipped";
      record.ended_us = now;
      saga.current += 1;
      continue;
    }
    if (record.started_us == 0)
      record.started_us = now;
    record.status = "running";
    record.attempts += 1;
    if (!definition.confirmation_wait || record.result.empty()) {
      saga.waiting_for.clear();
      set_state(self, "running");
    }
    // A read changes nothing anywhere, so running it again after a crash is harmless: only
    // steps that change something have their record written before each attempt.
    return launch_after_write(self, std::move(*plan), attempt_mode::forward, !definition.read_only);
  }
  finish(self, "completed");
}

bool needs_compensation(const step_record& record, const step_definition& definition) {
  if (!definition.compensation)
    return false;
  if (record.status != "succeeded" && record.status != "uncertain" && record.status != "partial")
    return false;
  return !record.compensation || record.compensation->status == "running";
}

void run_backward(coordinator* self) {
  auto& st = self->state;
  auto& saga = st.saga;
  if (saga.current >= saga.steps.size())
    saga.current = saga.steps.size() - 1;
  for (;;) {
    auto& record = current_record(self);
    const auto& definition = current_definition(self);
    // Still "running" here (no attempt is out): its attempt was cut short by a crash, after
    // the record said it would run. It may have happened, so it is resolved like any other
    // uncertain step instead of being passed over with its effect left in place.
    if (record.status == "running")
      record.status = "uncertain";
    if (!needs_compensation(record, definition)) {
      if (saga.current == 0)
        return finish(self, "compensated");
      saga.current -= 1;
      continue;
    }
    auto now = now_us(self);
    if (!record.compensation)
      record.compensation = compensation_record{"running", 0, now, 0, std::nullopt};
    auto& compensation = *record.compensation;
    if (now >= compensation_deadline_us(self, compensation)) {
      compensation.status = "failed";
      saga.error = saga_error{"compensation_deadline", "the compensation of step " + record.name
                                                         + " did not succeed before its deadline"};
      return finish(self, "failed");
    }
    // An uncertain step is first run again under its own keys: the provider answers what it
    // did the first time (then it is undone) or refuses (then there is nothing to undo).
    const bool resolve = record.status == "uncertain";
    auto plan = resolve ? definition.action(saga) : definition.compensation(saga);
    if (!plan) {
      compensation.status = "failed";
      compensation.error = saga_error{std::string(to_string(plan.error().code)), plan.error().message};
      saga.error = compensation.error;
      return finish(self, "failed");
    }
    if (plan->empty()) {
      compensation.status = "skipped";
      continue;
    }
    compensation.attempts += 1;
    return launch_after_write(self, std::move(*plan), resolve ? attempt_mode::resolve : attempt_mode::compensate,
                              true);
  }
}

void run(coordinator* self) {
  auto& st = self->state;
  if (st.busy || st.launching || st.saga.state == "paused" || is_terminal_saga_state(st.saga.state))
    return;
  if (st.saga.backward)
    run_backward(self);
  else
    run_forward(self);
}

// --- outcomes of an attempt --------------------------------------------------------------

void record_result(step_record& record, const provider_fields& fields) {
  for (const auto& [name, value] : fields) {
    auto found = std::find_if(record.result.begin(), record.result.end(),
                              [&](const auto& field) { return field.first == name; });
    if (found != record.result.end())
      found->second = value;
    else
      record.result.emplace_back(name, value);
  }
}

void attempt_succeeded(coordinator* self, const provider_fields& fields) {
  auto& st = self->state;
  st.busy = false;
  st.failures_in_row = 0;
  auto& record = st.saga.steps[st.step];
  const auto& definition = st.definition->steps[st.step];
  auto now = now_us(self);
  record.error.reset();
  switch (st.mode) {
    case attempt_mode::forward:
      record_result(record, fields);
      if (definition.done_when && !definition.done_when(st.saga, fields) && !st.saga.backward) {
        // Not there yet (confirmations): wait and poll again, no new record per poll.
        if (st.saga.state != "waiting" && st.saga.state != "paused") {
          st.saga.waiting_for = "confirmations";
          set_state(self, "waiting");
          persist(self);
        }
        return arm_timer(self, st.runtime->flows->settings.confirmation_poll_ms);
      }
      record.status = "succeeded";
      record.ended_us = now;
      st.runtime->metrics->step_succeeded(st.saga.type, record.name,
                                          static_cast<double>(now - record.started_us) / 1000.0);
      if (!st.saga.backward && st.step == st.saga.current)
        st.saga.current += 1;
      break;
    case attempt_mode::resolve:
      record_result(record, fields);
      record.status = "succeeded";
      record.ended_us = now;
      break;
    case attempt_mode::compensate:
      record.compensation->status = "succeeded";
      record.compensation->ended_us = now;
      record.compensation->error.reset();
      break;
  }
  if (st.saga.state == "paused")
    return persist(self);
  run(self);
}

// A definite refusal: the provider (or the ledger) did nothing and will not.
void attempt_refused(coordinator* self, saga_error error) {
  auto& st = self->state;
  st.busy = false;
  auto& record = st.saga.steps[st.step];
  const auto& definition = st.definition->steps[st.step];
  switch (st.mode) {
    case attempt_mode::forward:
      record.error = error;
      if (record.status == "partial" || (!record.result.empty() && !definition.read_only))
        record.status = "partial";  // some of its ledger operations happened: undo those
      else
        record.status = "failed";
      if (!st.saga.backward)
        go_backward(self, std::move(error));
      break;
    case attempt_mode::resolve:
      record.status = "failed";  // it never happened: nothing to undo
      record.error = std::move(error);
      break;
    case attempt_mode::compensate:
      record.compensation->status = "failed";
      record.compensation->error = error;
      st.saga.error = saga_error{error.code, "the compensation of step " + record.name + " was refused: "
                                               + error.message};
      return finish(self, "failed");
  }
  if (st.saga.state == "paused")
    return persist(self);
  run(self);
}

// A failure that may heal: retried after a backoff (or, when no provider would take the call,
// once its breaker lets calls through again), until the step's deadline.
void attempt_failed(coordinator* self, saga_error error, bool blocked) {
  auto& st = self->state;
  st.busy = false;
  auto& record = st.saga.steps[st.step];
  auto now = now_us(self);
  if (st.mode == attempt_mode::compensate || st.mode == attempt_mode::resolve) {
    auto& compensation = *record.compensation;
    compensation.error = error;
    if (now >= compensation_deadline_us(self, compensation)) {
      compensation.status = "failed";
      st.saga.error = saga_error{error.code, "the compensation of step " + record.name
                                               + " did not succeed before its deadline: " + error.message};
      return finish(self, "failed");
    }
  } else {
    record.error = error;
    if (st.saga.backward) {  // aborted while the attempt was out
      if (record.status == "running")
        record.status = record.reached_provider ? "uncertain" : "failed";
      return run(self);
    }
    if (now >= step_deadline_us(self, st.definition->steps[st.step], record)) {
      record.status = record.reached_provider ? "uncertain" : "failed";
      go_backward(self, saga_error{"deadline", "step " + record.name + " did not succeed before its deadline: "
                                                 + error.message});
      return run(self);
    }
  }
  const auto& settings = st.runtime->flows->settings;
  if (blocked) {
    st.waiting_on_provider = true;
    auto reason = "provider " + st.candidates[st.candidate]->name + ": " + error.code;
    if (st.saga.waiting_for != reason) {
      st.saga.waiting_for = reason;
      if (!st.saga.backward && st.saga.state == "running")
        set_state(self, "waiting");
      persist(self);
    }
    return arm_timer(self, settings.waiting_poll_ms);
  }
  st.failures_in_row += 1;
  arm_timer(self, backoff_ms(settings, st.failures_in_row, st.jitter_state));
}

void on_provider_reply(coordinator* self, uint64_t id, provider_reply& reply) {
  auto& st = self->state;
  if (!st.busy || id != st.attempt || st.action.ledger.size() > 0)
    return;
  auto& record = st.saga.steps[st.step];
  const auto* provider = st.candidates[st.candidate];
  if (reply.attempts > 0 && record.provider.empty() && st.mode == attempt_mode::forward)
    record.provider = provider->name;
  if (reply.outcome.ok())
    return attempt_succeeded(self, reply.outcome.fields());
  const auto& failure = reply.outcome.failure();
  saga_error error{failure.code, failure.message};
  if (failure.kind == failure_kind::rejected)
    return attempt_refused(self, std::move(error));
  if (failure.kind == failure_kind::unavailable && reply.attempts == 0) {
    // Never tried here: another provider of the kind may take it, unless one is pinned.
    if (record.provider.empty() && st.candidate + 1 < st.candidates.size()) {
      st.candidate += 1;
      return send_provider_call(self);
    }
    return attempt_failed(self, std::move(error), true);
  }
  if (st.mode == attempt_mode::forward && !self->state.definition->steps[st.step].read_only)
    record.reached_provider = true;
  attempt_failed(self, std::move(error), false);
}

void on_ledger_result(coordinator* self, saga_ledger_result& answer) {
  auto& st = self->state;
  if (!st.busy || answer.attempt != st.attempt || answer.index >= st.ledger_results.size())
    return;
  st.ledger_results[answer.index] = std::move(answer.receipt);
  if (--st.ledger_pending > 0)
    return;
  provider_fields ids;
  std::optional<error> refusal;
  std::optional<error> transient;
  for (size_t index = 0; index < st.ledger_results.size(); ++index) {
    const auto& result = st.ledger_results[index];
    if (result)
      ids.emplace_back(st.action.ledger[index].result_name, result->transfer_id);
    else if (result.error().code == error_code::unavailable)
      transient = result.error();
    else
      refusal = result.error();
  }
  auto& record = st.saga.steps[st.step];
  if (st.mode != attempt_mode::compensate)
    record_result(record, ids);
  if (refusal)
    return attempt_refused(self, saga_error{std::string(to_string(refusal->code)), refusal->message});
  if (transient)
    return attempt_failed(self, saga_error{std::string(to_string(transient->code)), transient->message}, false);
  attempt_succeeded(self, {});
}

// A provider is blocked while every candidate's breaker is open.
bool provider_still_blocked(coordinator* self) {
  auto& st = self->state;
  for (const auto* candidate : st.candidates) {
    auto state = candidate->gauges->state();
    if (state != breaker_state::open && state != breaker_state::forced_open)
      return false;
  }
  return !st.candidates.empty();
}

void on_timer(coordinator* self, uint64_t epoch) {
  auto& st = self->state;
  if (epoch != st.timer_epoch || st.busy || st.launching)
    return;
  if (st.waiting_on_provider && provider_still_blocked(self)) {
    auto now = now_us(self);
    auto& record = st.saga.steps[st.step];
    bool overdue = st.saga.backward ? now >= compensation_deadline_us(self, *record.compensation)
                                    : now >= step_deadline_us(self, st.definition->steps[st.step], record);
    if (!overdue)
      return arm_timer(self, st.runtime->flows->settings.waiting_poll_ms);
  }
  run(self);
}

// --- operators ---------------------------------------------------------------------------

error conflict(const saga_data& saga, const char* action) {
  return make_error(error_code::conflict, std::string("cannot ") + action + " a saga that is " + saga.state);
}

void answer_when_durable(coordinator* self, saga_reply reply) {
  persist(self, [self, reply = std::move(reply)] { reply(to_record(self->state.saga)); });
}

void steer(coordinator* self, saga_action action, saga_reply reply) {
  auto& st = self->state;
  auto& saga = st.saga;
  const bool terminal = is_terminal_saga_state(saga.state);
  switch (action) {
    case saga_action::pause:
      if (terminal || saga.state == "paused")
        return reply(conflict(saga, "pause"));
      st.timer_epoch += 1;
      set_state(self, "paused");
      return answer_when_durable(self, std::move(reply));
    case saga_action::resume:
      if (saga.state != "paused")
        return reply(conflict(saga, "resume"));
      set_state(self, saga.backward ? "compensating" : "running");
      answer_when_durable(self, std::move(reply));
      return run(self);
    case saga_action::abort: {
      if (terminal || saga.backward)
        return reply(conflict(saga, "abort"));
      // A step that nothing undoes (settle) in flight, or maybe done before a crash: once it
      // lands the saga is done, and compensating the steps before it would undo what it
      // has just delivered.
      const auto& current = current_definition(self);
      const bool maybe_done = st.busy || st.launching || current_record(self).reached_provider;
      if (maybe_done && !current.compensation && !current.read_only)
        return reply(make_error(error_code::conflict, "cannot abort a saga while its step "
                                                        + current_record(self).name + ", which nothing undoes, runs"));
      st.timer_epoch += 1;
      auto& record = current_record(self);
      if (!st.busy && !st.launching && record.status == "running")
        record.status = record.reached_provider ? "uncertain" : "failed";
      go_backward(self, saga_error{"aborted", "aborted by an operator"});
      answer_when_durable(self, std::move(reply));
      return run(self);
    }
    case saga_action::retry: {
      bool retryable = saga.state == "failed" || saga.state == "paused" || saga.state == "waiting"
                       || ((saga.state == "running" || saga.state == "compensating") && !st.busy && !st.launching);
      if (!retryable)
        return reply(conflict(saga, "retry"));
      st.timer_epoch += 1;
      st.failures_in_row = 0;
      auto now = now_us(self);
      if (saga.current >= saga.steps.size())
        saga.current = saga.steps.size() - 1;
      auto& record = current_record(self);
      if (saga.backward) {
        if (record.compensation) {
          record.compensation->status = "running";
          record.compensation->started_us = now;
          record.compensation->error.reset();
        }
        saga.error = saga.cause;  // the compensation's failure is being dealt with
        set_state(self, "compensating");
      } else {
        record.started_us = now;  // a fresh deadline
        record.error.reset();
        set_state(self, "running");
      }
      saga.waiting_for.clear();
      answer_when_durable(self, std::move(reply));
      return run(self);
    }
  }
}

caf::behavior saga_coordinator(coordinator* self, caf::actor engine, saga_runtime_ptr runtime, saga_data saga,
                               saga_reply started) {
  auto& st = self->state;
  st.engine = std::move(engine);
  st.runtime = std::move(runtime);
  st.definition = st.runtime->definition(saga.type);
  st.saga = std::move(saga);
  st.started = std::move(started);
  st.durable_version = st.saga.version;  // a recovered saga's record is on disk already
  st.jitter_state = std::hash<std::string>{}(st.saga.id);
  if (st.saga.version == 0)
    st.runtime->metrics->moved(st.saga.type, "", st.saga.state);
  // A recovered step that was running is simply run again: every operation is keyed. Its
  // attempt may have gone out before the crash (the record is written before each attempt),
  // so an abort before the rerun must resolve it, not take it for never tried.
  if (st.saga.version > 0 && st.saga.current < st.saga.steps.size()) {
    auto& record = current_record(self);
    if (record.status == "running" && !current_definition(self).read_only)
      record.reached_provider = true;
  }
  self->send(self, saga_timer_atom::value, st.timer_epoch);
  return {
    [self](durable_atom, uint64_t token) { on_durable(self, token); },
    [self](saga_ledger_atom, saga_ledger_result& answer) { on_ledger_result(self, answer); },
    [self](provider_reply_atom, uint64_t id, provider_reply& reply) { on_provider_reply(self, id, reply); },
    [self](saga_timer_atom, uint64_t epoch) { on_timer(self, epoch); },
    [self](saga_steer_atom, saga_action action, saga_reply& reply) { steer(self, action, std::move(reply)); },
    [self](saga_view_atom, saga_reply& reply) {
      if (self->state.durable_version > 0)
        return reply(to_record(self->state.saga));
      self->state.viewers.push_back(std::move(reply));
    },
  };
}

} // namespace

caf::actor spawn_saga_coordinator(caf::actor_system& system, const caf::actor& engine, saga_runtime_ptr runtime,
                                  saga_data saga, saga_reply started) {
  return system.spawn(saga_coordinator, engine, std::move(runtime), std::move(saga), std::move(started));
}

} // namespace ledgerflow
