// The idempotency guard on its own: an in-memory journal for the records the writer would
// store, and a manual clock so deadlines are exact.
#include "actors/idempotency_guard.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <limits>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "actors/ledger_metrics.hpp"
#include "tests/support/manual_clock.hpp"
#include "tests/support/memory_journal.hpp"

using namespace ledgerflow;
using ledgerflow::testing::manual_clock;
using ledgerflow::testing::memory_journal;

namespace {

constexpr auto hang_guard = std::chrono::seconds(20);
constexpr uint32_t deadline_ms = 1'000;
const std::string hash_a = "hash-of-request-a";
const std::string hash_b = "hash-of-request-b";

// Every answer one caller got, in order (it should get exactly one).
class answers {
public:
  idempotency_guard::callback callback() {
    return [state = state_](outcome<transfer_receipt> result) {
      std::lock_guard<std::mutex> lock(state->mutex);
      state->received.push_back(std::move(result));
    };
  }
  size_t count() const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    return state_->received.size();
  }
  outcome<transfer_receipt> only() const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    REQUIRE(state_->received.size() == 1);
    return state_->received.front();
  }
  error_code only_error() const {
    auto result = only();
    REQUIRE_FALSE(result);
    return result.error().code;
  }

private:
  struct shared_state {
    mutable std::mutex mutex;
    std::vector<outcome<transfer_receipt>> received;
  };
  std::shared_ptr<shared_state> state_ = std::make_shared<shared_state>();
};

transfer_receipt receipt_for(const std::string& key) {
  return transfer_receipt{"tr_" + key, "system:bank", "banking/USD", 7, "user:alice", "banking/USD", 3, "USD", 1'250,
                          1'700'000'000'123'456};
}

// The receipt a caller got is the expected one, field for field.
void check_receipt(const outcome<transfer_receipt>& got, const transfer_receipt& expected) {
  REQUIRE_MESSAGE(got, (got ? "" : got.error().message));
  CHECK(encode_receipt(*got) == encode_receipt(expected));
  CHECK(got->transfer_id == expected.transfer_id);
}

error refusal(error_code code) {
  return make_error(code, "refused by the test");
}

// Runs `work` on its own thread; false if it has not returned after the hang guard (the
// thread is then left behind, holding what it captured, so the test can fail cleanly).
bool completes(std::function<void()> work) {
  auto finished = std::make_shared<std::promise<void>>();
  auto future = finished->get_future();
  std::thread([work = std::move(work), finished] {
    work();
    finished->set_value();
  }).detach();
  return future.wait_for(hang_guard) == std::future_status::ready;
}

struct guard_fixture {
  std::shared_ptr<memory_journal> store = std::make_shared<memory_journal>();
  std::shared_ptr<manual_clock> time = std::make_shared<manual_clock>();
  std::shared_ptr<ledger_metrics> metrics = std::make_shared<ledger_metrics>();
  std::shared_ptr<idempotency_guard> guard =
    std::make_shared<idempotency_guard>(store, time, metrics, idempotency_guard::options{4, deadline_ms});

  // What the journal writer stores in the batch that makes the transfer durable.
  void store_record(const std::string& key, const std::string& hash, const transfer_receipt& receipt) {
    append_batch batch;
    batch.idempotency_records.push_back(idempotency_record{key, hash, encode_receipt(receipt), receipt.timestamp_us});
    store->append(batch);
  }
  // A transfer that became durable: its record is in the journal, then the finisher reports it.
  void finish_durable(const std::string& key, const std::string& hash) {
    store_record(key, hash, receipt_for(key));
    guard->finish(key, receipt_for(key));
  }
};

} // namespace

TEST_CASE_FIXTURE(guard_fixture, "a new key is registered and its caller is answered once the transfer finishes") {
  answers first;
  CHECK(guard->begin("k1", hash_a, first.callback()));
  CHECK(first.count() == 0);
  finish_durable("k1", hash_a);
  check_receipt(first.only(), receipt_for("k1"));
  CHECK(metrics->transfers_ok.load() == 1);
  CHECK(metrics->transfers_failed.load() == 0);
  CHECK(metrics->idempotent_replays.load() == 0);
}

TEST_CASE_FIXTURE(guard_fixture,
                  "callers bringing the same new key at once start one transfer and all get its receipt") {
  constexpr size_t caller_count = 8;
  std::vector<answers> callers(caller_count);
  std::vector<int> started(caller_count, 0);
  std::promise<void> go;
  auto start = go.get_future().share();
  std::vector<std::thread> threads;
  for (size_t index = 0; index < caller_count; ++index)
    threads.emplace_back([&, index] {
      start.wait();
      started[index] = guard->begin("shared", hash_a, callers[index].callback()) ? 1 : 0;
    });
  go.set_value();
  for (auto& thread : threads)
    thread.join();

  int starters = 0;
  for (auto each : started)
    starters += each;
  CHECK(starters == 1);
  for (const auto& caller : callers)
    CHECK(caller.count() == 0);  // all wait for the one attempt

  finish_durable("shared", hash_a);
  for (const auto& caller : callers)
    check_receipt(caller.only(), receipt_for("shared"));
  CHECK(metrics->transfers_ok.load() == 1);  // one transfer, however many callers
  CHECK(metrics->transfers_failed.load() == 0);
  // Waiters are answered by the attempt itself, not replayed from the journal.
  CHECK(metrics->idempotent_replays.load() == 0);
}

TEST_CASE_FIXTURE(guard_fixture, "a repeat with a different request is refused at once with idempotency_mismatch") {
  answers first;
  answers different;
  REQUIRE(guard->begin("k1", hash_a, first.callback()));
  CHECK_FALSE(guard->begin("k1", hash_b, different.callback()));
  CHECK(different.only_error() == error_code::idempotency_mismatch);
  CHECK(first.count() == 0);  // the first attempt is untouched

  finish_durable("k1", hash_a);
  check_receipt(first.only(), receipt_for("k1"));
  CHECK(different.count() == 1);  // answered once, not again by finish
  // Once durable the journal answers, and still tells the payloads apart.
  answers late_different;
  CHECK_FALSE(guard->begin("k1", hash_b, late_different.callback()));
  CHECK(late_different.only_error() == error_code::idempotency_mismatch);
  CHECK(metrics->idempotent_replays.load() == 0);
}

TEST_CASE_FIXTURE(guard_fixture, "a refused transfer frees its key for a corrected retry") {
  answers first;
  answers waiting;
  REQUIRE(guard->begin("k1", hash_a, first.callback()));
  REQUIRE_FALSE(guard->begin("k1", hash_a, waiting.callback()));
  guard->finish("k1", refusal(error_code::insufficient_funds));
  CHECK(first.only_error() == error_code::insufficient_funds);
  CHECK(waiting.only_error() == error_code::insufficient_funds);
  CHECK(metrics->transfers_failed.load() == 1);
  CHECK(metrics->transfers_ok.load() == 0);

  // Nothing was written, so the key is new again (even for a corrected payload).
  answers corrected;
  CHECK(guard->begin("k1", hash_b, corrected.callback()));
  CHECK(corrected.count() == 0);
  finish_durable("k1", hash_b);
  check_receipt(corrected.only(), receipt_for("k1"));
  CHECK(metrics->transfers_ok.load() == 1);
  CHECK(first.count() == 1);
}

TEST_CASE_FIXTURE(guard_fixture, "an unavailable outcome holds the key until the journal shows the transfer") {
  answers first;
  answers waiting;
  REQUIRE(guard->begin("k1", hash_a, first.callback()));
  REQUIRE_FALSE(guard->begin("k1", hash_a, waiting.callback()));
  guard->finish("k1", refusal(error_code::unavailable));
  CHECK(first.only_error() == error_code::unavailable);
  CHECK(waiting.only_error() == error_code::unavailable);
  CHECK(metrics->transfers_failed.load() == 1);

  // The outcome is unknown: a retry must not start a second transfer.
  answers retry;
  CHECK_FALSE(guard->begin("k1", hash_a, retry.callback()));
  CHECK(retry.only_error() == error_code::unavailable);
  answers different;
  CHECK_FALSE(guard->begin("k1", hash_b, different.callback()));
  CHECK(different.only_error() == error_code::idempotency_mismatch);
  CHECK(metrics->idempotent_replays.load() == 0);

  // The transfer completed after all: the journal's receipt answers from now on.
  auto stored = receipt_for("k1");
  store_record("k1", hash_a, stored);
  answers settled;
  CHECK_FALSE(guard->begin("k1", hash_a, settled.callback()));
  check_receipt(settled.only(), stored);
  CHECK(metrics->idempotent_replays.load() == 1);
  answers again;
  CHECK_FALSE(guard->begin("k1", hash_a, again.callback()));
  check_receipt(again.only(), stored);
  CHECK(metrics->idempotent_replays.load() == 2);
  answers late_different;
  CHECK_FALSE(guard->begin("k1", hash_b, late_different.callback()));
  CHECK(late_different.only_error() == error_code::idempotency_mismatch);
  CHECK(metrics->transfers_ok.load() == 0);
  CHECK(first.count() == 1);
  CHECK(waiting.count() == 1);
}

TEST_CASE_FIXTURE(guard_fixture,
                  "the deadline sweep answers only callers whose deadline has passed and holds their keys") {
  auto started_us = time->now_us();
  answers old_caller;
  answers old_repeat;
  answers young_caller;
  REQUIRE(guard->begin("old", hash_a, old_caller.callback()));
  REQUIRE_FALSE(guard->begin("old", hash_a, old_repeat.callback()));
  time->advance_ms(400);
  REQUIRE(guard->begin("young", hash_a, young_caller.callback()));

  auto old_deadline_us = started_us + int64_t{deadline_ms} * 1000;
  guard->sweep_deadlines(old_deadline_us - 1);
  CHECK(old_caller.count() == 0);
  CHECK(old_repeat.count() == 0);
  CHECK(young_caller.count() == 0);
  CHECK(metrics->transfers_failed.load() == 0);

  guard->sweep_deadlines(old_deadline_us);  // "at or before" the deadline
  CHECK(old_caller.only_error() == error_code::unavailable);
  CHECK(old_repeat.only_error() == error_code::unavailable);
  CHECK(young_caller.count() == 0);
  CHECK(metrics->transfers_failed.load() == 1);  // one transfer, two callers

  // Held: a retry of the late key is not started again.
  answers retry;
  CHECK_FALSE(guard->begin("old", hash_a, retry.callback()));
  CHECK(retry.only_error() == error_code::unavailable);
  // Sweeping again answers nobody twice.
  guard->sweep_deadlines(old_deadline_us + 1);
  CHECK(old_caller.count() == 1);
  CHECK(young_caller.count() == 0);
  CHECK(metrics->transfers_failed.load() == 1);

  // The young key still finishes normally.
  finish_durable("young", hash_a);
  check_receipt(young_caller.only(), receipt_for("young"));
  guard->sweep_deadlines(old_deadline_us + 400'000);
  CHECK(young_caller.count() == 1);

  // The late transfer lands after its callers were told "unavailable": they are not
  // answered twice, and a retry gets the journal's receipt.
  auto ok_before = metrics->transfers_ok.load();
  finish_durable("old", hash_a);
  CHECK(old_caller.count() == 1);
  CHECK(old_repeat.count() == 1);
  // Counted once, when its callers were answered: the counters still add up to transfers.
  CHECK(metrics->transfers_ok.load() == ok_before);
  CHECK(metrics->transfers_failed.load() == 1);
  answers after_landing;
  CHECK_FALSE(guard->begin("old", hash_a, after_landing.callback()));
  check_receipt(after_landing.only(), receipt_for("old"));
}

TEST_CASE_FIXTURE(guard_fixture, "sweeping at the end of time answers every caller still waiting") {
  std::vector<answers> callers(3);
  answers repeat;
  REQUIRE(guard->begin("k0", hash_a, callers[0].callback()));
  time->advance_ms(deadline_ms * 100);
  REQUIRE(guard->begin("k1", hash_a, callers[1].callback()));
  REQUIRE(guard->begin("k2", hash_b, callers[2].callback()));
  REQUIRE_FALSE(guard->begin("k2", hash_b, repeat.callback()));

  guard->sweep_deadlines(std::numeric_limits<int64_t>::max());
  for (const auto& caller : callers)
    CHECK(caller.only_error() == error_code::unavailable);
  CHECK(repeat.only_error() == error_code::unavailable);
  CHECK(metrics->transfers_failed.load() == 3);
  answers retry;
  CHECK_FALSE(guard->begin("k1", hash_a, retry.callback()));
  CHECK(retry.only_error() == error_code::unavailable);
}

TEST_CASE_FIXTURE(guard_fixture, "a finished key is answered from the journal") {
  answers first;
  REQUIRE(guard->begin("k1", hash_a, first.callback()));
  finish_durable("k1", hash_a);
  REQUIRE(first.count() == 1);

  answers repeat;
  CHECK_FALSE(guard->begin("k1", hash_a, repeat.callback()));
  check_receipt(repeat.only(), receipt_for("k1"));  // answered before begin returned
  CHECK(metrics->idempotent_replays.load() == 1);
  CHECK(metrics->transfers_ok.load() == 1);

  // A key recorded before this guard existed (say, before a restart) is answered the same way.
  auto earlier = receipt_for("from-before");
  store_record("from-before", hash_b, earlier);
  answers old_key;
  CHECK_FALSE(guard->begin("from-before", hash_b, old_key.callback()));
  check_receipt(old_key.only(), earlier);
  CHECK(metrics->idempotent_replays.load() == 2);

  // A record whose receipt cannot be read is an error to the caller, not a replay.
  append_batch broken;
  broken.idempotency_records.push_back(idempotency_record{"broken", hash_a, "{not json", 1});
  store->append(broken);
  answers unreadable;
  CHECK_FALSE(guard->begin("broken", hash_a, unreadable.callback()));
  CHECK(unreadable.only_error() == error_code::internal);
  CHECK(metrics->idempotent_replays.load() == 2);
}

TEST_CASE_FIXTURE(guard_fixture, "finish ignores keys it does not know") {
  guard->finish("never-begun", receipt_for("never-begun"));
  guard->finish("never-begun", refusal(error_code::unavailable));
  CHECK(metrics->transfers_ok.load() == 0);
  CHECK(metrics->transfers_failed.load() == 0);
  // Nor does an ignored unavailable hold the key.
  answers fresh;
  CHECK(guard->begin("never-begun", hash_a, fresh.callback()));
}

TEST_CASE_FIXTURE(guard_fixture, "callbacks run outside the guard's lock and may call the guard again") {
  answers nested;
  bool nested_started = false;
  auto begin_again = [&](const std::string& key, const std::string& hash) {
    return [this, &nested, &nested_started, key, hash](outcome<transfer_receipt>) {
      nested_started = guard->begin(key, hash, nested.callback());
    };
  };

  SUBCASE("from finish with a refusal") {
    REQUIRE(guard->begin("k1", hash_a, begin_again("k1", hash_a)));
    REQUIRE(completes([guard = guard] { guard->finish("k1", refusal(error_code::insufficient_funds)); }));
    CHECK(nested_started);  // the freed key was taken again
    CHECK(nested.count() == 0);
    guard->finish("k1", refusal(error_code::insufficient_funds));
    CHECK(nested.only_error() == error_code::insufficient_funds);
  }
  SUBCASE("from finish with a receipt") {
    REQUIRE(guard->begin("k1", hash_a, begin_again("k1", hash_a)));
    REQUIRE(completes([this] { finish_durable("k1", hash_a); }));
    CHECK_FALSE(nested_started);
    check_receipt(nested.only(), receipt_for("k1"));
  }
  SUBCASE("from finish with unavailable") {
    REQUIRE(guard->begin("k1", hash_a, begin_again("k1", hash_a)));
    REQUIRE(completes([guard = guard] { guard->finish("k1", refusal(error_code::unavailable)); }));
    CHECK_FALSE(nested_started);
    CHECK(nested.only_error() == error_code::unavailable);
  }
  SUBCASE("from the deadline sweep") {
    REQUIRE(guard->begin("k1", hash_a, begin_again("k1", hash_a)));
    REQUIRE(completes([guard = guard] { guard->sweep_deadlines(std::numeric_limits<int64_t>::max()); }));
    CHECK_FALSE(nested_started);
    CHECK(nested.only_error() == error_code::unavailable);
  }
  SUBCASE("from a mismatch answered by begin") {
    answers first;
    REQUIRE(guard->begin("k1", hash_a, first.callback()));
    REQUIRE(completes([guard = guard, &begin_again] { guard->begin("k1", hash_b, begin_again("k1", hash_b)); }));
    CHECK_FALSE(nested_started);
    CHECK(nested.only_error() == error_code::idempotency_mismatch);
  }
  SUBCASE("from a replay answered by begin") {
    store_record("k1", hash_a, receipt_for("k1"));
    REQUIRE(completes([guard = guard, &begin_again] { guard->begin("k1", hash_a, begin_again("k1", hash_a)); }));
    CHECK_FALSE(nested_started);
    check_receipt(nested.only(), receipt_for("k1"));
  }
}
