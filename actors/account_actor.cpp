#include "actors/account_actor.hpp"

#include <deque>
#include <optional>

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/ledger_error.hpp"
#include "actors/message_types.hpp"

namespace ledgerflow {

namespace {

constexpr std::string_view transfer_cause = "transfer";

// A cross-account transfer completes when its outgoing leg is durable and the incoming
// account has answered (which it does only once its leg is durable).
struct transfer_join {
  caf::typed_response_promise<transfer_receipt> promise;
  bool outgoing_durable = false;
  std::optional<transfer_receipt> receipt;
  std::optional<caf::error> failure;
  bool answered = false;

  void try_finish() {
    if (answered)
      return;
    if (failure) {
      answered = true;
      promise.deliver(*failure);
    } else if (outgoing_durable && receipt) {
      answered = true;
      promise.deliver(std::move(*receipt));
    }
  }
};

struct account_state {
  std::string id;
  account_book book{""};
  caf::actor registry;
  ledger_context_ptr context;
  std::optional<error> load_failure;
  uint64_t durable_seq = 0;
  uint64_t last_snapshot_seq = 0;
  uint64_t commands_received = 0;  // from the registry; passivation compares it
  uint64_t credits_outstanding = 0;
  std::deque<std::pair<uint64_t, std::function<void()>>> waiting;  // run once seq is durable

  void load();
  void write(caf::event_based_actor* self, append_batch batch, bool notify = true);
  void when_durable(uint64_t seq, std::function<void()> action);
  void on_durable(uint64_t token);
  bool idle() const { return waiting.empty() && credits_outstanding == 0; }
  account_view view() const;
  transfer_receipt receipt_of(const transfer_command& command, uint64_t from_seq, uint64_t to_seq) const;
  idempotency_record record_of(const std::string& key, const std::string& hash, const transfer_receipt& receipt) const;
};

void account_state::load() {
  auto& store = *context->store;
  if (auto snapshot = store.latest_snapshot(id)) {
    auto restored = account_book::from_snapshot(*snapshot);
    if (!restored) {
      load_failure = restored.error();
      return;
    }
    book = std::move(*restored);
  } else {
    book = account_book(id);
  }
  last_snapshot_seq = book.seq();
  constexpr size_t page = 4096;
  for (;;) {
    auto entries = store.read_entries(id, book.seq(), page);
    for (const auto& entry : entries)
      if (auto replayed = book.replay(entry); !replayed) {
        load_failure = replayed.error();
        spdlog::error("account {} cannot be rebuilt from the journal: {}", id, replayed.error().message);
        return;
      }
    if (entries.size() < page)
      break;
  }
  durable_seq = book.seq();
}

void account_state::write(caf::event_based_actor* self, append_batch batch, bool notify) {
  if (book.seq() >= last_snapshot_seq + context->config.snapshot_every_entries) {
    // The snapshot commits in the same transaction as the entries it includes.
    batch.snapshots.push_back(book.snapshot());
    last_snapshot_seq = book.seq();
  }
  self->send(context->writer, append_atom::value,
             write_request{std::move(batch), caf::actor_cast<caf::actor>(self), book.seq(), notify});
}

void account_state::when_durable(uint64_t seq, std::function<void()> action) {
  if (seq <= durable_seq) {
    action();
    return;
  }
  waiting.emplace_back(seq, std::move(action));
}

void account_state::on_durable(uint64_t token) {
  durable_seq = std::max(durable_seq, token);
  while (!waiting.empty() && waiting.front().first <= durable_seq) {
    auto action = std::move(waiting.front().second);
    waiting.pop_front();
    action();
  }
}

account_view account_state::view() const {
  auto snapshot = book.snapshot();
  return account_view{id, snapshot.seq, std::move(snapshot.balances)};
}

transfer_receipt account_state::receipt_of(const transfer_command& command, uint64_t from_seq,
                                           uint64_t to_seq) const {
  const auto& request = command.request;
  return transfer_receipt{command.transfer_id, request.from_account, request.from_bucket, from_seq,
                          request.to_account, request.to_bucket, to_seq, command.asset_code, request.amount,
                          command.timestamp_us};
}

idempotency_record account_state::record_of(const std::string& key, const std::string& hash,
                                            const transfer_receipt& receipt) const {
  return idempotency_record{key, hash, encode_receipt(receipt), receipt.timestamp_us};
}

using account_self = caf::stateful_actor<account_state>;

caf::result<transfer_receipt> transfer_within(account_self* self, const transfer_command& command) {
  auto& st = self->state;
  const auto& request = command.request;
  auto moved = st.book.move(request.from_bucket, request.to_bucket, request.amount,
                            entry_cause{std::string(transfer_cause), command.transfer_id}, command.timestamp_us);
  if (!moved)
    return to_caf_error(moved.error());
  auto receipt = st.receipt_of(command, (*moved)[0].seq, (*moved)[1].seq);
  append_batch batch;
  batch.idempotency_records.push_back(st.record_of(request.idempotency_key, command.request_hash, receipt));
  batch.entries = std::move(*moved);
  st.write(self, std::move(batch));
  auto promise = self->make_response_promise<transfer_receipt>();
  st.when_durable(st.book.seq(), [promise, receipt]() mutable { promise.deliver(receipt); });
  return promise;
}

caf::result<transfer_receipt> transfer_out(account_self* self, transfer_command& command) {
  auto& st = self->state;
  const auto& request = command.request;
  if (request.from_account == request.to_account)
    return transfer_within(self, command);
  auto debited = st.book.debit(request.from_bucket, request.amount,
                               entry_cause{std::string(transfer_cause), command.transfer_id},
                               counterparty{request.to_account, request.to_bucket}, command.timestamp_us);
  if (!debited)
    return to_caf_error(debited.error());
  inflight_leg leg{command.transfer_id, request.from_account, request.from_bucket, debited->seq,
                   request.to_account, request.to_bucket, command.asset_code, request.amount,
                   request.idempotency_key, command.request_hash, command.timestamp_us};
  append_batch batch;
  batch.entries.push_back(std::move(*debited));
  batch.opened_legs.push_back(leg);
  // No durable notice for this batch: the writer commits in arrival order, so the incoming
  // leg's answer (sent only once it is durable) proves the outgoing leg durable too.
  st.write(self, std::move(batch), false);
  auto join = std::make_shared<transfer_join>();
  join->promise = self->make_response_promise<transfer_receipt>();
  auto outgoing_seq = st.book.seq();
  ++st.credits_outstanding;
  // No timer: the incoming actor always answers, or CAF answers for it if it is gone; the
  // caller's deadline lives in the idempotency guard.
  self->request(st.context->registry_for(leg.to_account), caf::infinite, credit_atom::value, std::move(leg))
    .then(
      [self, join, outgoing_seq](transfer_receipt& receipt) {
        --self->state.credits_outstanding;
        self->state.on_durable(outgoing_seq);
        join->outgoing_durable = true;
        join->receipt = std::move(receipt);
        join->try_finish();
      },
      [self, join](caf::error& failure) {
        // The outgoing leg stays in flight; recovery completes it from its marker. Ask the
        // writer for a notice, since the outgoing batch asked for none.
        --self->state.credits_outstanding;
        self->state.write(self, append_batch{});
        spdlog::warn("incoming leg of a transfer not confirmed yet: {}", caf::to_string(failure));
        join->failure = failure;
        join->try_finish();
      });
  return join->promise;
}

caf::result<transfer_receipt> credit_in(account_self* self, inflight_leg& leg) {
  auto& st = self->state;
  auto credited = st.book.credit(leg.to_bucket, leg.amount, entry_cause{std::string(transfer_cause), leg.transfer_id},
                                 counterparty{leg.from_account, leg.from_bucket}, leg.timestamp_us);
  if (!credited)
    return to_caf_error(credited.error());
  transfer_receipt receipt{leg.transfer_id, leg.from_account, leg.from_bucket, leg.from_seq, leg.to_account,
                           leg.to_bucket, credited->seq, leg.asset_code, leg.amount, leg.timestamp_us};
  append_batch batch;
  batch.entries.push_back(std::move(*credited));
  batch.idempotency_records.push_back(st.record_of(leg.idempotency_key, leg.request_hash, receipt));
  batch.closed_transfer_ids.push_back(leg.transfer_id);
  st.write(self, std::move(batch));
  auto promise = self->make_response_promise<transfer_receipt>();
  st.when_durable(st.book.seq(), [promise, receipt]() mutable { promise.deliver(receipt); });
  return promise;
}

caf::result<account_view> view_durable(account_self* self) {
  auto& st = self->state;
  auto view = st.view();
  if (view.seq <= st.durable_seq)
    return view;
  auto promise = self->make_response_promise<account_view>();
  st.when_durable(view.seq, [promise, view]() mutable { promise.deliver(view); });
  return promise;
}

void schedule_idle_check(account_self* self) {
  auto idle_after = std::chrono::milliseconds(self->state.context->config.account_idle_passivate_ms);
  self->delayed_send(self, idle_after, idle_atom::value, self->state.commands_received);
}

void try_passivate(account_self* self, uint64_t commands_at_schedule) {
  auto& st = self->state;
  if (st.commands_received != commands_at_schedule || !st.idle()) {
    schedule_idle_check(self);
    return;
  }
  auto timeout = std::chrono::milliseconds(st.context->config.command_timeout_ms);
  self->request(st.registry, timeout, passivate_atom::value, st.id, st.commands_received)
    .then(
      [self](bool accepted) {
        if (accepted)
          self->quit();
        else
          schedule_idle_check(self);
      },
      [self](caf::error&) { schedule_idle_check(self); });
}

caf::behavior account_behavior(account_self* self, std::string account, caf::actor registry,
                               ledger_context_ptr context) {
  auto& st = self->state;
  st.id = std::move(account);
  st.registry = std::move(registry);
  st.context = std::move(context);
  st.load();
  schedule_idle_check(self);
  auto refuse_if_broken = [self]() -> std::optional<caf::error> {
    if (self->state.load_failure)
      return to_caf_error(make_error(error_code::internal, "account cannot be loaded: " + self->state.load_failure->message));
    return std::nullopt;
  };
  return {
    [self, refuse_if_broken](transfer_atom, transfer_command& command) -> caf::result<transfer_receipt> {
      ++self->state.commands_received;
      if (auto broken = refuse_if_broken())
        return *broken;
      return transfer_out(self, command);
    },
    [self, refuse_if_broken](credit_atom, inflight_leg& leg) -> caf::result<transfer_receipt> {
      ++self->state.commands_received;
      if (auto broken = refuse_if_broken())
        return *broken;
      return credit_in(self, leg);
    },
    [self, refuse_if_broken](view_atom) -> caf::result<account_view> {
      ++self->state.commands_received;
      if (auto broken = refuse_if_broken())
        return *broken;
      return view_durable(self);
    },
    [self](durable_atom, uint64_t token) { self->state.on_durable(token); },
    [self](idle_atom, uint64_t commands_at_schedule) { try_passivate(self, commands_at_schedule); },
  };
}

} // namespace

caf::actor spawn_account_actor(caf::event_based_actor* parent, std::string account, caf::actor registry,
                               ledger_context_ptr context) {
  return parent->spawn(account_behavior, std::move(account), std::move(registry), std::move(context));
}

} // namespace ledgerflow
