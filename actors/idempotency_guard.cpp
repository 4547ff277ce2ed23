#include "actors/idempotency_guard.hpp"

#include <deque>
#include <list>
#include <unordered_map>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <openssl/rand.h>

#include "actors/ledger_error.hpp"
#include "actors/message_types.hpp"
#include "protocols/hex.hpp"

namespace ledgerflow {

namespace {

struct key_state {
  std::string request_hash;
  std::optional<transfer_receipt> receipt;  // set once durable
  bool outcome_unknown = false;  // the first attempt timed out: it may still complete
  std::vector<caf::typed_response_promise<transfer_receipt>> waiters;
  std::list<std::string>::iterator recency;  // position in the LRU once done
};

struct guard_state {
  ledger_context_ptr context;
  // When each pending key's caller must be answered, oldest first (one timeout for all, so
  // arrival order is deadline order). One sweep a second replaces a CAF timer per request.
  std::deque<std::pair<int64_t, std::string>> deadlines;
  std::string id_prefix;
  uint64_t next_transfer = 0;
  std::unordered_map<std::string, key_state> keys;
  std::list<std::string> done_keys;  // least recently used first

  std::string new_transfer_id() {
    char counter[17];
    std::snprintf(counter, sizeof(counter), "%016llx", static_cast<unsigned long long>(++next_transfer));
    return id_prefix + counter;
  }
  void remember_done(const std::string& key, key_state& entry, transfer_receipt receipt);
  void touch(key_state& entry);
};

void guard_state::remember_done(const std::string& key, key_state& entry, transfer_receipt receipt) {
  entry.receipt = std::move(receipt);
  entry.recency = done_keys.insert(done_keys.end(), key);
  while (done_keys.size() > context->config.idempotency_cache_entries_max) {
    keys.erase(done_keys.front());
    done_keys.pop_front();
  }
}

void guard_state::touch(key_state& entry) {
  done_keys.splice(done_keys.end(), done_keys, entry.recency);
}

using guard_self = caf::stateful_actor<guard_state>;

// Answers the callers of keys whose deadline passed. Their outcome is unknown (the transfer
// may still complete), so the key is held until the journal shows it (see answer_repeat).
void sweep_deadlines(guard_self* self) {
  auto& st = self->state;
  auto now_us = st.context->time->now_us();
  while (!st.deadlines.empty() && st.deadlines.front().first <= now_us) {
    auto key = std::move(st.deadlines.front().second);
    st.deadlines.pop_front();
    auto found = st.keys.find(key);
    if (found == st.keys.end() || found->second.receipt || found->second.outcome_unknown)
      continue;
    found->second.outcome_unknown = true;
    auto failure = to_caf_error(make_error(error_code::unavailable,
                                           "the transfer did not finish in time; retry with the same idempotency key"));
    for (auto& waiter : found->second.waiters)
      waiter.deliver(failure);
    found->second.waiters.clear();
    st.context->metrics->transfers_failed.fetch_add(1, std::memory_order_relaxed);
  }
}

void finish(guard_self* self, const std::string& key, outcome<transfer_receipt> result) {
  auto& st = self->state;
  auto found = st.keys.find(key);
  if (found == st.keys.end())
    return;
  auto waiters = std::move(found->second.waiters);
  auto& metrics = *st.context->metrics;
  if (result) {
    metrics.transfers_ok.fetch_add(1, std::memory_order_relaxed);
    found->second.outcome_unknown = false;  // a late answer settles a swept key
    st.remember_done(key, found->second, *result);
    for (auto& waiter : waiters)
      waiter.deliver(*result);
  } else {
    metrics.transfers_failed.fetch_add(1, std::memory_order_relaxed);
    if (result.error().code == error_code::unavailable) {
      // A timeout says nothing about whether the outgoing leg was written: keep the key so
      // a retry cannot move the money a second time (see answer_repeat).
      found->second.outcome_unknown = true;
    } else {
      // Rejected commands wrote nothing, so the key stays free for a corrected retry.
      st.keys.erase(found);
    }
    auto failure = to_caf_error(result.error());
    for (auto& waiter : waiters)
      waiter.deliver(failure);
  }
}

caf::result<transfer_receipt> answer_from_journal(guard_self* self, const idempotency_record& record,
                                                  const std::string& hash);

caf::result<transfer_receipt> answer_repeat(guard_self* self, const std::string& key, key_state& entry,
                                            const std::string& hash) {
  if (entry.request_hash != hash)
    return to_caf_error(make_error(error_code::idempotency_mismatch,
                                   "this idempotency key was used with a different request"));
  if (entry.outcome_unknown) {
    if (auto record = self->state.context->store->find_idempotency(key)) {
      entry.outcome_unknown = false;
      return answer_from_journal(self, *record, hash);
    }
    return to_caf_error(make_error(error_code::unavailable,
                                   "the first request with this key has not finished; retry later"));
  }
  if (entry.receipt) {
    self->state.context->metrics->idempotent_replays.fetch_add(1, std::memory_order_relaxed);
    self->state.touch(entry);
    return *entry.receipt;
  }
  auto promise = self->make_response_promise<transfer_receipt>();
  entry.waiters.push_back(promise);
  return promise;
}

caf::result<transfer_receipt> answer_from_journal(guard_self* self, const idempotency_record& record,
                                                  const std::string& hash) {
  if (record.request_hash != hash)
    return to_caf_error(make_error(error_code::idempotency_mismatch,
                                   "this idempotency key was used with a different request"));
  auto receipt = decode_receipt(record.response);
  if (!receipt)
    return to_caf_error(receipt.error());
  auto& entry = self->state.keys[record.key];
  entry.request_hash = hash;
  self->state.remember_done(record.key, entry, *receipt);
  self->state.context->metrics->idempotent_replays.fetch_add(1, std::memory_order_relaxed);
  return *receipt;
}

caf::result<transfer_receipt> start_transfer(guard_self* self, transfer_request& request) {
  auto& st = self->state;
  std::string asset_code;
  if (auto valid = validate_transfer(request, st.context->assets, asset_code); !valid) {
    st.context->metrics->transfers_failed.fetch_add(1, std::memory_order_relaxed);
    return to_caf_error(valid.error());
  }
  auto hash = request_hash(request);
  if (auto found = st.keys.find(request.idempotency_key); found != st.keys.end())
    return answer_repeat(self, found->first, found->second, hash);
  if (auto record = st.context->store->find_idempotency(request.idempotency_key))
    return answer_from_journal(self, *record, hash);
  auto key = request.idempotency_key;
  auto& entry = st.keys[key];
  entry.request_hash = hash;
  auto promise = self->make_response_promise<transfer_receipt>();
  entry.waiters.push_back(promise);
  transfer_command command{std::move(request), st.new_transfer_id(), std::move(hash), std::move(asset_code),
                           st.context->time->now_us()};
  st.deadlines.emplace_back(command.timestamp_us + int64_t{st.context->config.command_timeout_ms} * 1000, key);
  // No CAF timer per request (each one wakes the clock thread): sweep_deadlines answers late ones.
  self->request(st.context->registry_for(command.request.from_account), caf::infinite, transfer_atom::value,
                std::move(command))
    .then([self, key](transfer_receipt& receipt) { finish(self, key, std::move(receipt)); },
          [self, key](caf::error& failure) { finish(self, key, from_caf_error(failure)); });
  return promise;
}

caf::behavior idempotency_guard(guard_self* self, ledger_context_ptr context, uint32_t shard_index) {
  auto& st = self->state;
  st.context = std::move(context);
  unsigned char random[6];
  RAND_bytes(random, sizeof(random));
  // Random per process start, so ids stay unique across restarts without a counter on disk.
  st.id_prefix = "tr_" + to_hex(random, sizeof(random)) + std::to_string(shard_index) + "_";
  self->delayed_send(self, std::chrono::seconds(1), sweep_atom::value);
  return {
    [self](transfer_atom, transfer_request& request) { return start_transfer(self, request); },
    [self](sweep_atom) {
      sweep_deadlines(self);
      self->delayed_send(self, std::chrono::seconds(1), sweep_atom::value);
    },
  };
}

} // namespace

caf::actor spawn_idempotency_guard(caf::actor_system& system, ledger_context_ptr context, uint32_t shard_index) {
  return system.spawn(idempotency_guard, std::move(context), shard_index);
}

} // namespace ledgerflow
