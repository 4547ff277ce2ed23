#include "actors/journal_writer.hpp"

#include <chrono>
#include <cstdlib>
#include <unordered_map>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/message_types.hpp"
#include "protocols/clock.hpp"

namespace ledgerflow {

namespace {

struct writer_state {
  std::shared_ptr<journal> store;
  caf::actor hub;
  std::shared_ptr<ledger_metrics> metrics;
  journal_writer_options options;
  std::vector<caf::actor> finishers;
  size_t next_finisher = 0;
  append_batch batch;
  // Cursors to advance after the commit, in arrival order (so each ends at its highest token).
  std::vector<std::pair<std::shared_ptr<durable_cursor>, uint64_t>> advances;
  // Requesters with readers waiting: highest token each, one notice per batch.
  std::unordered_map<caf::actor, uint64_t> notices;
  std::vector<finished_transfer> finished;
  // Transfers whose outgoing leg is in this batch; an incoming leg in the same batch cancels
  // the in-flight marker, so the common case writes no marker row at all. The leg's own
  // transfer_id is moved into the key and given back only to the few that stay open.
  std::unordered_map<std::string, inflight_leg> opened_in_batch;
  size_t last_batch_entries = 0;  // the entries vector leaves with each batch: reserve as much
  bool flush_scheduled = false;

  void add(write_request& request);
  void commit();
  void report_finished();
};

void writer_state::add(write_request& request) {
  auto& part = request.batch;
  for (auto& leg : part.opened_legs) {
    auto transfer_id = std::move(leg.transfer_id);
    opened_in_batch.try_emplace(std::move(transfer_id), std::move(leg));
  }
  for (auto& transfer_id : part.closed_transfer_ids)
    if (opened_in_batch.erase(transfer_id) == 0)
      batch.closed_transfer_ids.push_back(std::move(transfer_id));
  metrics->writer_queue_entries.fetch_add(static_cast<int64_t>(part.entries.size()), std::memory_order_relaxed);
  std::move(part.entries.begin(), part.entries.end(), std::back_inserter(batch.entries));
  std::move(part.idempotency_records.begin(), part.idempotency_records.end(),
            std::back_inserter(batch.idempotency_records));
  std::move(part.snapshots.begin(), part.snapshots.end(), std::back_inserter(batch.snapshots));
  // In arrival order; the store keeps each saga's highest version, wherever it is in the batch.
  std::move(part.saga_records.begin(), part.saga_records.end(), std::back_inserter(batch.saga_records));
  // Optional: a requester that only waits for its notice (a saga's record) sends none.
  if (request.cursor)
    advances.emplace_back(std::move(request.cursor), request.token);
  if (request.notify) {
    auto& token = notices[request.notify];
    token = std::max(token, request.token);
  }
  if (request.finished)
    finished.push_back(std::move(*request.finished));
}

// In slices, so the callers' continuations spread over the scheduler threads.
void writer_state::report_finished() {
  constexpr size_t slice = 128;
  for (size_t begin = 0; begin < finished.size(); begin += slice) {
    auto end = std::min(finished.size(), begin + slice);
    std::vector<finished_transfer> part(std::make_move_iterator(finished.begin() + begin),
                                        std::make_move_iterator(finished.begin() + end));
    caf::anon_send(finishers[next_finisher++ % finishers.size()], finish_atom::value, std::move(part));
  }
  finished.clear();
}

void writer_state::commit() {
  for (auto& [transfer_id, leg] : opened_in_batch) {
    leg.transfer_id = transfer_id;
    batch.opened_legs.push_back(std::move(leg));
  }
  if (batch.empty() && notices.empty() && advances.empty())
    return;
  auto started = std::chrono::steady_clock::now();
  try {
    if (!batch.empty())  // only notices: what they wait for was committed by an earlier batch
      store->append(batch);
  } catch (const std::exception& failure) {
    // Fail-stop: entries were applied optimistically in account actors; acknowledging anything
    // now could report money that is not on disk. Recovery rebuilds from the journal.
    spdlog::critical("journal append failed, stopping the node: {}", failure.what());
    spdlog::default_logger()->flush();
    std::_Exit(70);
  }
  auto elapsed_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  auto entry_count = batch.entries.size();
  metrics->commit_ms.observe(elapsed_ms);
  metrics->recent_commit_ms.record(static_cast<float>(elapsed_ms));
  metrics->batch_entries.observe(static_cast<double>(entry_count));
  metrics->batches_written.fetch_add(1, std::memory_order_relaxed);
  metrics->entries_written.fetch_add(entry_count, std::memory_order_relaxed);
  metrics->writer_queue_entries.fetch_sub(static_cast<int64_t>(entry_count), std::memory_order_relaxed);
  for (auto& [cursor, token] : advances)
    cursor->seq.store(token, std::memory_order_release);
  for (auto& [requester, token] : notices)
    caf::anon_send(requester, durable_atom::value, token);
  report_finished();
  last_batch_entries = batch.entries.size();
  if (hub && !batch.entries.empty())
    caf::anon_send(hub, publish_atom::value,
                   durable_entries{std::make_shared<const durable_batch>(
                     durable_batch{std::move(batch.entries), system_clock().now_us()})});
  advances.clear();
  notices.clear();
  opened_in_batch.clear();
  batch.clear();
  // Batches vary; twice the last one's size spares most of the regrowth of the vector.
  batch.entries.reserve(2 * last_batch_entries);
}

caf::behavior journal_writer(caf::stateful_actor<writer_state>* self, std::shared_ptr<journal> store,
                             caf::actor hub, std::vector<caf::actor> finishers,
                             std::shared_ptr<ledger_metrics> metrics, journal_writer_options options) {
  auto& state = self->state;
  state.finishers = std::move(finishers);
  state.store = std::move(store);
  state.hub = std::move(hub);
  state.metrics = std::move(metrics);
  state.options = options;
  return {
    [self](append_atom, write_request& request) {
      auto& st = self->state;
      st.add(request);
      if (st.batch.entries.size() >= st.options.batch_entries_max) {
        st.commit();
        return;
      }
      // The flush marker queues behind everything already in the mailbox: when it comes
      // around, the mailbox has drained and the batch holds all that arrived meanwhile.
      if (!st.flush_scheduled) {
        st.flush_scheduled = true;
        self->send(self, flush_atom::value);
      }
    },
    [self](flush_atom) {
      self->state.flush_scheduled = false;
      self->state.commit();
    },
  };
}

} // namespace

caf::actor spawn_journal_writer(caf::actor_system& system, std::shared_ptr<journal> store, caf::actor balance_hub,
                                std::vector<caf::actor> finishers, std::shared_ptr<ledger_metrics> metrics,
                                journal_writer_options options) {
  return system.spawn<caf::detached>(journal_writer, std::move(store), std::move(balance_hub), std::move(finishers),
                                     std::move(metrics), options);
}

} // namespace ledgerflow
