#include "tests/support/fake_ledger.hpp"

#include <cstdio>
#include <cstdlib>

#include "protocols/account_id.hpp"
#include "protocols/bucket.hpp"

namespace ledgerflow::testing {

fake_ledger::fake_ledger() = default;

void fake_ledger::deposit(const std::string& account, const std::string& bucket, const std::string& amount) {
  auto parsed_bucket = parse_bucket(bucket, assets_);
  auto parsed_amount = parsed_bucket ? parse_amount(amount, parsed_bucket->decimals) : outcome<minor_units>(parsed_bucket.error());
  outcome<transfer_receipt> result = make_error(error_code::internal, "not run");
  if (parsed_amount) {
    std::lock_guard<std::mutex> lock(mutex_);
    transfer_request request{"seed-" + std::to_string(next_transfer_number_), "system:seed", bucket, account, bucket,
                             *parsed_amount};
    result = apply_transfer(request);
  }
  if (!parsed_amount || !result) {
    std::fprintf(stderr, "fake_ledger::deposit(%s, %s, %s) failed\n", account.c_str(), bucket.c_str(), amount.c_str());
    std::abort();
  }
}

void fake_ledger::set_ready(bool ready) {
  std::lock_guard<std::mutex> lock(mutex_);
  ready_ = ready;
}

void fake_ledger::hold_answers(bool hold) {
  std::lock_guard<std::mutex> lock(mutex_);
  holding_ = hold;
}

size_t fake_ledger::release_held_answers() {
  std::vector<std::function<void()>> answers;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    answers.swap(held_);
  }
  for (auto& answer : answers)
    answer();
  return answers.size();
}

size_t fake_ledger::transfer_calls() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return transfer_calls_;
}

size_t fake_ledger::read_calls() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return read_calls_;
}

std::optional<transfer_request> fake_ledger::last_transfer() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_transfer_;
}

void fake_ledger::transfer(transfer_request request, callback<transfer_receipt> done) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++transfer_calls_;
    last_transfer_ = request;
  }
  answer_once_per_key(request.idempotency_key, request_hash(request), [&] { return apply_transfer(request); },
                      std::move(done));
}

void fake_ledger::hold(hold_request request, callback<transfer_receipt> done) {
  answer_once_per_key(request.idempotency_key, request_hash(request), [&]() -> outcome<transfer_receipt> {
    std::string asset_code;
    if (auto valid = validate_hold(request, assets_, asset_code); !valid)
      return valid.error();
    auto id = "h-" + std::to_string(next_transfer_number_++);
    auto held = book_of(request.account).hold(request.bucket, request.amount, id, {"hold", id}, clock_us_ += 1'000);
    if (!held)
      return held.error();
    record(*held);
    return transfer_receipt{id, request.account, request.bucket, held->seq, request.account, request.bucket,
                            held->seq, asset_code, request.amount, clock_us_};
  }, std::move(done));
}

void fake_ledger::release(release_request request, callback<transfer_receipt> done) {
  answer_once_per_key(request.idempotency_key, request_hash(request), [&]() -> outcome<transfer_receipt> {
    auto released = book_of(request.account).release(request.hold_id, {"hold", request.hold_id}, clock_us_ += 1'000);
    if (!released)
      return released.error();
    record(*released);
    auto asset = parse_bucket(released->bucket, assets_);
    return transfer_receipt{request.hold_id, request.account, released->bucket, released->seq, request.account,
                            released->bucket, released->seq, asset ? asset->asset_code : "", released->amount,
                            clock_us_};
  }, std::move(done));
}

void fake_ledger::post(post_request request, callback<transfer_receipt> done) {
  answer_once_per_key(request.idempotency_key, request_hash(request), [&]() -> outcome<transfer_receipt> {
    std::string asset_code;
    if (auto valid = validate_post(request, assets_, asset_code); !valid)
      return valid.error();
    auto id = "t-" + std::to_string(next_transfer_number_++);
    entry_cause cause{"transfer", id};
    auto posted = book_of(request.account)
                    .post(request.hold_id, request.amount, cause, {request.to_account, request.to_bucket},
                          clock_us_ += 1'000);
    if (!posted)
      return posted.error();
    for (const auto& entry : *posted)
      record(entry);
    auto credit = book_of(request.to_account)
                    .credit(request.to_bucket, request.amount, cause,
                            {request.account, posted->front().bucket}, clock_us_);
    if (!credit)
      return credit.error();  // a fake: the post stays, tests do not reach this
    record(*credit);
    return transfer_receipt{id, request.account, posted->front().bucket, posted->front().seq, request.to_account,
                            request.to_bucket, credit->seq, asset_code, request.amount, clock_us_};
  }, std::move(done));
}

void fake_ledger::answer_once_per_key(const std::string& key, const std::string& hash,
                                      const std::function<outcome<transfer_receipt>()>& apply,
                                      callback<transfer_receipt> done) {
  outcome<transfer_receipt> result = make_error(error_code::internal, "not run");
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = idempotency_.find(key);
    if (found == idempotency_.end()) {
      result = apply();
      idempotency_.emplace(key, idempotency_record{hash, result});
    } else if (found->second.request_hash == hash) {
      result = found->second.result;
    } else {
      result = make_error(error_code::idempotency_mismatch, "idempotency key reused with a different request");
    }
  }
  answer_or_hold([done = std::move(done), result = std::move(result)] { done(result); });
}

void fake_ledger::get_account(std::string account, callback<account_view> done) {
  outcome<account_view> result = make_error(error_code::not_found, "account " + account + " not found");
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++read_calls_;
    auto found = books_.find(account);
    if (found != books_.end()) {
      auto snapshot = found->second.snapshot();
      result = account_view{snapshot.account, snapshot.seq, snapshot.balances, snapshot.holds};
    }
  }
  answer_or_hold([done = std::move(done), result = std::move(result)] { done(result); });
}

void fake_ledger::get_entries(std::string account, uint64_t after_seq, size_t limit,
                              callback<std::vector<journal_entry>> done) {
  std::vector<journal_entry> page;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++read_calls_;
    for (const auto& entry : entries_[account])
      if (entry.seq > after_seq && page.size() < limit)
        page.push_back(entry);
  }
  answer_or_hold([done = std::move(done), page = std::move(page)] { done(page); });
}

bool fake_ledger::ready() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return ready_;
}

std::string fake_ledger::metrics_text() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return "# TYPE fake_ledger_transfer_calls_total counter\nfake_ledger_transfer_calls_total "
         + std::to_string(transfer_calls_) + "\n";
}

outcome<transfer_receipt> fake_ledger::apply_transfer(const transfer_request& request) {
  std::string asset_code;
  if (auto valid = validate_transfer(request, assets_, asset_code); !valid)
    return valid.error();
  auto id = "t-" + std::to_string(next_transfer_number_++);
  clock_us_ += 1'000;
  entry_cause cause{"transfer", id};
  transfer_receipt receipt{id, request.from_account, request.from_bucket, 0, request.to_account, request.to_bucket,
                           0, asset_code, request.amount, clock_us_};
  auto& from = book_of(request.from_account);
  auto debit = from.debit(request.from_bucket, request.amount, cause, {request.to_account, request.to_bucket}, clock_us_);
  if (!debit)
    return debit.error();
  record(*debit);
  auto& to = book_of(request.to_account);
  auto credit = to.credit(request.to_bucket, request.amount, cause, {request.from_account, request.from_bucket}, clock_us_);
  if (!credit)
    return credit.error();  // a fake: the debit stays, tests do not reach this
  record(*credit);
  receipt.from_seq = debit->seq;
  receipt.to_seq = credit->seq;
  return receipt;
}

account_book& fake_ledger::book_of(const std::string& account) {
  auto found = books_.find(account);
  if (found == books_.end())
    found = books_.emplace(account, account_book(account)).first;
  return found->second;
}

void fake_ledger::record(const journal_entry& entry) {
  entries_[entry.account].push_back(entry);
  // Every entry is its own "commit" here; listeners only queue, so calling them under the
  // lock keeps their batches in order.
  auto batch = std::make_shared<const durable_batch>(durable_batch{{entry}, entry.timestamp_us});
  for (const auto& listener : listeners_)
    listener(batch);
}

void fake_ledger::on_durable(durable_listener listener) {
  std::lock_guard<std::mutex> lock(mutex_);
  listeners_.push_back(std::move(listener));
}

void fake_ledger::answer_or_hold(std::function<void()> answer) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (holding_) {
      held_.push_back(std::move(answer));
      return;
    }
  }
  answer();
}

} // namespace ledgerflow::testing
