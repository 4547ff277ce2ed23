#include "actors/account_actor.hpp"

#include <deque>
#include <optional>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/message_types.hpp"
#include "protocols/bucket.hpp"

namespace ledgerflow {

namespace {

constexpr std::string_view transfer_cause = "transfer";
constexpr std::string_view hold_cause = "hold";
constexpr std::string_view saga_cause = "saga";

// Entries a saga asked for name the saga as their cause; others their transfer or hold.
entry_cause cause_of(const std::string& saga_id, std::string_view kind, const std::string& id) {
  if (!saga_id.empty())
    return entry_cause{std::string(saga_cause), saga_id};
  return entry_cause{std::string(kind), id};
}

struct account_state {
  std::string id;
  account_book book{""};
  ledger_context_ptr context;
  std::optional<error> load_failure;
  std::shared_ptr<durable_cursor> durable = std::make_shared<durable_cursor>();
  uint64_t last_snapshot_seq = 0;
  uint64_t commands_received = 0;  // from the registry; passivation compares it
  // Balances as of a seq not yet durable, and who asked; by seq.
  std::deque<std::pair<account_view, view_request>> views_waiting;

  void load();
  uint64_t durable_seq() const { return durable->seq.load(std::memory_order_acquire); }
  // `finished` is answered by the writer's finishers once the entries are durable.
  void write(append_batch batch, std::optional<finished_transfer> finished = {});
  void on_durable();
  // Nothing owed to anyone and nothing on its way to disk: safe to stop.
  bool idle() const { return views_waiting.empty() && durable_seq() >= book.seq(); }
  void fail(const std::string& idempotency_key, error failure) const;
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
  durable->seq.store(book.seq(), std::memory_order_release);
}

void account_state::write(append_batch batch, std::optional<finished_transfer> finished) {
  if (book.seq() >= last_snapshot_seq + context->config.snapshot_every_entries) {
    // The snapshot commits in the same transaction as the entries it includes.
    batch.snapshots.push_back(book.snapshot());
    last_snapshot_seq = book.seq();
  }
  // Anonymous: a sender reference would be released on the writer's thread, an atomic on
  // this actor's control block there (a cache miss per request, ~5% of the writer's time).
  caf::anon_send(context->writer, append_atom::value,
                 write_request{std::move(batch), durable, book.seq(), std::move(finished), caf::actor{}});
}

void account_state::on_durable() {
  auto seq = durable_seq();
  while (!views_waiting.empty() && views_waiting.front().first.seq <= seq) {
    auto waiting = std::move(views_waiting.front());
    views_waiting.pop_front();
    waiting.second.done(std::move(waiting.first));
  }
}

void account_state::fail(const std::string& idempotency_key, error failure) const {
  context->guard->finish(idempotency_key, std::move(failure));
}

account_view account_state::view() const {
  auto snapshot = book.snapshot();
  return account_view{id, snapshot.seq, std::move(snapshot.balances), std::move(snapshot.holds)};
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

// Writes entries that end a request in this account alone, with the request's idempotency
// record; its caller is answered once they are durable.
void write_finished(account_self* self, std::vector<journal_entry> entries, std::string key,
                    const std::string& request_hash, transfer_receipt receipt) {
  auto& st = self->state;
  append_batch batch;
  batch.idempotency_records.push_back(st.record_of(key, request_hash, receipt));
  batch.entries = std::move(entries);
  st.write(std::move(batch), finished_transfer{std::move(key), std::move(receipt)});
}

void transfer_within(account_self* self, transfer_command& command) {
  auto& st = self->state;
  auto& request = command.request;
  auto moved = st.book.move(request.from_bucket, request.to_bucket, request.amount,
                            cause_of(request.saga_id, transfer_cause, command.transfer_id), command.timestamp_us);
  if (!moved)
    return st.fail(request.idempotency_key, moved.error());
  auto receipt = st.receipt_of(command, (*moved)[0].seq, (*moved)[1].seq);
  write_finished(self, std::move(*moved), std::move(request.idempotency_key), command.request_hash,
                 std::move(receipt));
}

// Writes an outgoing leg's entries with its in-flight marker and hands the leg to the
// incoming account, whose durable credit ends the transfer.
void send_outgoing_leg(account_self* self, std::vector<journal_entry> entries, inflight_leg leg) {
  auto& st = self->state;
  append_batch batch;
  batch.entries = std::move(entries);
  batch.opened_legs.push_back(leg);
  st.write(std::move(batch));
  // Sent after the write request, so the incoming leg's batch is never older than this one:
  // when both land in one batch the writer drops the in-flight marker, and the incoming
  // leg's durability (which ends the transfer) implies this leg's.
  auto to_account = leg.to_account;
  st.context->accounts->send(to_account, caf::make_message(credit_atom::value, std::move(leg)), self->context());
}

void transfer_out(account_self* self, transfer_command& command) {
  auto& st = self->state;
  auto& request = command.request;
  if (request.from_account == request.to_account)
    return transfer_within(self, command);
  auto debited = st.book.debit(request.from_bucket, request.amount,
                               cause_of(request.saga_id, transfer_cause, command.transfer_id),
                               counterparty{request.to_account, request.to_bucket}, command.timestamp_us);
  if (!debited)
    return st.fail(request.idempotency_key, debited.error());
  auto seq = debited->seq;
  std::vector<journal_entry> entries;
  entries.push_back(std::move(*debited));
  send_outgoing_leg(self, std::move(entries),
                    inflight_leg{std::move(command.transfer_id), std::move(request.from_account),
                                 std::move(request.from_bucket), seq, std::move(request.to_account),
                                 std::move(request.to_bucket), std::move(command.asset_code), request.amount,
                                 std::move(request.idempotency_key), std::move(command.request_hash),
                                 command.timestamp_us, std::move(request.saga_id)});
}

void credit_in(account_self* self, inflight_leg& leg) {
  auto& st = self->state;
  auto credited = st.load_failure ? outcome<journal_entry>(*st.load_failure)
                                  : st.book.credit(leg.to_bucket, leg.amount,
                                                   cause_of(leg.saga_id, transfer_cause, leg.transfer_id),
                                                   counterparty{leg.from_account, leg.from_bucket}, leg.timestamp_us);
  if (!credited) {
    // The outgoing leg is written and stays in flight (recovery completes it on restart):
    // the outcome is not a refusal, so the key stays held.
    spdlog::warn("incoming leg of transfer {} not written: {}", leg.transfer_id, credited.error().message);
    return st.fail(leg.idempotency_key,
                   make_error(error_code::unavailable, "the transfer is in flight and completes on recovery; retry "
                                                       "with the same idempotency key later"));
  }
  transfer_receipt receipt{std::move(leg.transfer_id), std::move(leg.from_account), std::move(leg.from_bucket),
                           leg.from_seq, std::move(leg.to_account), std::move(leg.to_bucket), credited->seq,
                           std::move(leg.asset_code), leg.amount, leg.timestamp_us};
  append_batch batch;
  batch.entries.push_back(std::move(*credited));
  batch.idempotency_records.push_back(st.record_of(leg.idempotency_key, leg.request_hash, receipt));
  batch.closed_transfer_ids.push_back(receipt.transfer_id);
  st.write(std::move(batch), finished_transfer{std::move(leg.idempotency_key), std::move(receipt)});
}

// Writes the one entry of a hold or a release with its idempotency record; the receipt is
// that entry's (see protocols/hold.hpp).
void write_hold_entry(account_self* self, journal_entry entry, const std::string& hold_id, std::string asset_code,
                      std::string key, const std::string& request_hash) {
  transfer_receipt receipt{hold_id,      entry.account, entry.bucket,          entry.seq,    entry.account,
                           entry.bucket, entry.seq,     std::move(asset_code), entry.amount, entry.timestamp_us};
  std::vector<journal_entry> entries;
  entries.push_back(std::move(entry));
  write_finished(self, std::move(entries), std::move(key), request_hash, std::move(receipt));
}

struct found_hold {
  const open_hold* hold = nullptr;
  std::string asset_code;  // of the hold's bucket
};

// The open hold with this id and its asset (checked when the hold was placed), or why not.
outcome<found_hold> find_open_hold(const account_state& st, const std::string& hold_id) {
  const auto* hold = st.book.find_hold(hold_id);
  if (hold == nullptr)
    return make_error(error_code::not_found, "no open hold " + hold_id);
  auto parsed = parse_bucket(hold->bucket, st.context->assets);
  if (!parsed)
    return make_error(error_code::internal, "hold " + hold_id + " is on a bucket the configuration no longer has: "
                                              + parsed.error().message);
  return found_hold{hold, parsed->asset_code};
}

void place_hold(account_self* self, hold_command& command) {
  auto& st = self->state;
  auto& request = command.request;
  auto held = st.book.hold(request.bucket, request.amount, command.hold_id,
                           cause_of(request.saga_id, hold_cause, command.hold_id), command.timestamp_us);
  if (!held)
    return st.fail(request.idempotency_key, held.error());
  write_hold_entry(self, std::move(*held), command.hold_id, std::move(command.asset_code),
                   std::move(request.idempotency_key), command.request_hash);
}

void release_hold(account_self* self, release_command& command) {
  auto& st = self->state;
  auto& request = command.request;
  auto found = find_open_hold(st, request.hold_id);
  if (!found)
    return st.fail(request.idempotency_key, found.error());
  auto released = st.book.release(request.hold_id, cause_of(request.saga_id, hold_cause, request.hold_id),
                                  command.timestamp_us);
  if (!released)
    return st.fail(request.idempotency_key, released.error());
  write_hold_entry(self, std::move(*released), request.hold_id, std::move(found->asset_code),
                   std::move(request.idempotency_key), command.request_hash);
}

void post_hold(account_self* self, post_command& command) {
  auto& st = self->state;
  auto& request = command.request;
  auto found = find_open_hold(st, request.hold_id);
  if (!found)
    return st.fail(request.idempotency_key, found.error());
  if (found->asset_code != command.asset_code)
    return st.fail(request.idempotency_key,
                   make_error(error_code::bad_request, "hold " + request.hold_id + " holds " + found->asset_code
                                                         + ", not " + command.asset_code));
  auto from_bucket = found->hold->bucket;  // the hold is gone once posted in full
  auto cause = cause_of(request.saga_id, transfer_cause, command.transfer_id);
  if (request.to_account == request.account) {
    auto entries = st.book.post_within(request.hold_id, request.amount, request.to_bucket, cause, command.timestamp_us);
    if (!entries)
      return st.fail(request.idempotency_key, entries.error());
    transfer_receipt receipt{command.transfer_id, request.account,   from_bucket,       entries->front().seq,
                             request.account,     request.to_bucket, entries->back().seq, std::move(command.asset_code),
                             request.amount,      command.timestamp_us};
    return write_finished(self, std::move(*entries), std::move(request.idempotency_key), command.request_hash,
                          std::move(receipt));
  }
  auto entries = st.book.post(request.hold_id, request.amount, cause,
                              counterparty{request.to_account, request.to_bucket}, command.timestamp_us);
  if (!entries)
    return st.fail(request.idempotency_key, entries.error());
  auto seq = entries->front().seq;
  send_outgoing_leg(self, std::move(*entries),
                    inflight_leg{std::move(command.transfer_id), std::move(request.account), std::move(from_bucket),
                                 seq, std::move(request.to_account), std::move(request.to_bucket),
                                 std::move(command.asset_code), request.amount, std::move(request.idempotency_key),
                                 std::move(command.request_hash), command.timestamp_us, std::move(request.saga_id)});
}

void view_durable(account_self* self, view_request& request) {
  auto& st = self->state;
  auto view = st.view();
  if (view.seq <= st.durable_seq())
    return request.done(std::move(view));
  st.views_waiting.emplace_back(std::move(view), std::move(request));
  // Queued behind this account's last entries, so its notice means they are durable.
  self->send(st.context->writer, append_atom::value,
             write_request{append_batch{}, st.durable, st.book.seq(), std::nullopt, caf::actor_cast<caf::actor>(self)});
}

void schedule_idle_check(account_self* self) {
  auto idle_after = std::chrono::milliseconds(self->state.context->config.account_idle_passivate_ms);
  self->delayed_send(self, idle_after, idle_atom::value, self->state.commands_received);
}

void try_passivate(account_self* self, uint64_t commands_at_schedule) {
  auto& st = self->state;
  if (st.commands_received == commands_at_schedule && st.idle() &&
      st.context->accounts->try_passivate(st.id, self->address(), st.commands_received)) {
    self->quit();
    return;
  }
  schedule_idle_check(self);
}

caf::behavior account_behavior(account_self* self, std::string account, ledger_context_ptr context) {
  auto& st = self->state;
  st.id = std::move(account);
  st.context = std::move(context);
  // Forgotten by the registry however it ends, so the next command spawns a fresh actor.
  self->attach_functor([registry = std::weak_ptr<account_registry>(st.context->accounts), id = st.id,
                        address = self->address()](const caf::error&) {
    if (auto live = registry.lock())
      live->forget(id, address);
  });
  st.load();
  schedule_idle_check(self);
  auto load_error = [self]() {
    return make_error(error_code::internal, "account cannot be loaded: " + self->state.load_failure->message);
  };
  // A keyed command from the registry: counted (passivation compares the count), and run by
  // `handle` unless the account could not be loaded, which its caller is told under its key.
  auto keyed = [self, load_error](auto& command, auto handle) {
    ++self->state.commands_received;
    if (self->state.load_failure)
      return self->state.fail(command.request.idempotency_key, load_error());
    handle(self, command);
  };
  return {
    [keyed](transfer_atom, transfer_command& command) { keyed(command, transfer_out); },
    [keyed](hold_atom, hold_command& command) { keyed(command, place_hold); },
    [keyed](release_atom, release_command& command) { keyed(command, release_hold); },
    [keyed](post_atom, post_command& command) { keyed(command, post_hold); },
    [self](credit_atom, inflight_leg& leg) {
      ++self->state.commands_received;
      credit_in(self, leg);
    },
    [self, load_error](view_atom, view_request& request) {
      ++self->state.commands_received;
      if (self->state.load_failure)
        return request.done(load_error());
      view_durable(self, request);
    },
    [self](durable_atom, uint64_t) { self->state.on_durable(); },
    [self](idle_atom, uint64_t commands_at_schedule) { try_passivate(self, commands_at_schedule); },
  };
}

} // namespace

caf::actor spawn_account_actor(caf::actor_system& system, std::string account, ledger_context_ptr context) {
  return system.spawn(account_behavior, std::move(account), std::move(context));
}

} // namespace ledgerflow
