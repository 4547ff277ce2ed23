#include "providers/sandbox/sandbox_provider.hpp"

#include <algorithm>
#include <cstdio>

#include "protocols/amount.hpp"
#include "protocols/provider_operations.hpp"
#include "protocols/seeded_random.hpp"
#include "providers/sandbox/sandbox_pricing.hpp"

namespace ledgerflow {

namespace {

using time_point = std::chrono::steady_clock::time_point;

std::string field(const provider_call& call, std::string_view name) {
  const auto* value = find_field(call.fields, name);
  return value == nullptr ? std::string() : *value;
}

// FNV-1a over the operation and the fields: equal requests hash equal, and a different
// request under a used key is caught but for a 2^-64 chance.
uint64_t fingerprint(const provider_call& call) {
  uint64_t hash = 0xcbf29ce484222325ull;
  auto mix = [&hash](std::string_view text) {
    for (unsigned char c : text)
      hash = (hash ^ c) * 0x100000001b3ull;
    hash = (hash ^ 0xffu) * 0x100000001b3ull;  // a separator no text byte can fake
  };
  mix(call.operation);
  for (const auto& [name, value] : call.fields) {
    mix(name);
    mix(value);
  }
  return hash;
}

call_outcome refused(std::string code, std::string message) {
  return call_outcome::failure(failure_kind::rejected, std::move(code), std::move(message));
}

// Whether a call's plain "amount" (collect, refund, withdraw, supply) is a positive decimal
// with no more decimals than its currency, else its asset, has (18 when neither is known).
// Exchange amounts are checked by their conversion. A provider refuses "abc" or "-5" rather
// than doing work for it, as the fake provider server does.
bool amount_acceptable(const provider_call& call, const sandbox_settings& settings) {
  const auto* amount = find_field(call.fields, "amount");
  if (amount == nullptr || call.operation == "quote")
    return true;
  const auto* unit = find_field(call.fields, "currency");
  if (unit == nullptr)
    unit = find_field(call.fields, "asset");
  int decimals = 18;
  if (unit != nullptr)
    if (auto found = settings.decimals.find(*unit); found != settings.decimals.end())
      decimals = found->second;
  return parse_amount(*amount, decimals).has_value();
}

} // namespace

sandbox_provider::sandbox_provider(sandbox_settings settings, time_source now)
  : settings_(std::move(settings)), now_(std::move(now)), started_(now_()), random_state_(settings_.seed) {
  answers_.reserve(std::min<size_t>(settings_.remembered_keys_max, 1u << 20));
}

void sandbox_provider::start(const provider_call& call, std::chrono::milliseconds, call_completion done) {
  call_outcome outcome;
  std::chrono::microseconds delay{0};
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++calls_;
    auto now = now_();
    auto fault = fault_now(now);
    if (fault == sandbox_fault::hang)
      return;  // never answers: the supervisor's timeout covers it
    delay = latency();
    if (fault == sandbox_fault::error)
      outcome = call_outcome::failure(failure_kind::transient, "sandbox_error", "the sandbox failed this call");
    else
      outcome = deduplicated(call, now);
    if (fault == sandbox_fault::slow)
      delay += std::chrono::milliseconds(settings_.slow_ms);
  }
  done(std::move(outcome), delay);  // outside the lock: it may run the caller's code
}

// The fault this call meets: a scripted outage first, then the random rates.
sandbox_fault sandbox_provider::fault_now(time_point now) {
  auto since_start = std::chrono::duration_cast<std::chrono::milliseconds>(now - started_).count();
  for (const auto& outage : settings_.outages)
    if (since_start >= outage.after_ms && since_start < int64_t{outage.after_ms} + outage.duration_ms)
      return outage.fault;
  if (settings_.error_rate <= 0 && settings_.timeout_rate <= 0 && settings_.slow_rate <= 0)
    return sandbox_fault::none;
  auto draw = next_unit();
  if (draw < settings_.timeout_rate)
    return sandbox_fault::hang;
  if (draw < settings_.timeout_rate + settings_.error_rate)
    return sandbox_fault::error;
  if (draw < settings_.timeout_rate + settings_.error_rate + settings_.slow_rate)
    return sandbox_fault::slow;
  return sandbox_fault::none;
}

// Does the work of a key once: a repeat answers what the first call got.
call_outcome sandbox_provider::deduplicated(const provider_call& call, time_point now) {
  if (call.idempotency_key.empty())
    return answer(call, next_id_++, now);
  auto found = answers_.find(call.idempotency_key);
  if (found != answers_.end()) {
    if (found->second.request_fingerprint != fingerprint(call))
      return refused("idempotency_mismatch", "the key was used for another request");
    return answer(call, found->second.id, now);
  }
  auto id = next_id_++;
  auto outcome = answer(call, id, now);
  bool did_work = outcome.ok();
  side_effects_ += did_work;
  answers_.emplace(call.idempotency_key, remembered_answer{fingerprint(call), id, did_work ? 1u : 0u});
  answer_order_.push_back(call.idempotency_key);
  if (answer_order_.size() > settings_.remembered_keys_max) {
    answers_.erase(answer_order_.front());
    answer_order_.pop_front();
  }
  return outcome;
}

call_outcome sandbox_provider::answer(const provider_call& call, uint64_t number, time_point now) {
  auto id = std::to_string(number);
  const auto& op = call.operation;
  if (!amount_acceptable(call, settings_))
    return refused("amount_invalid", "the amount is not a positive decimal of its unit");
  if (op == "collect")
    return call_outcome::success({{"payment_id", "sbx-pay-" + id}, {"amount", field(call, "amount")},
                                  {"currency", field(call, "currency")}});
  if (op == "refund")
    return call_outcome::success({{"refund_id", "sbx-refund-" + id}});
  if (op == "quote" || op == "buy" || op == "sell") {
    auto pair = find_pair(settings_, field(call, "asset"), field(call, "currency"));
    if (!pair)
      return refused("unknown_pair", "no price for " + field(call, "asset") + "/" + field(call, "currency"));
    if (op == "quote" && field(call, "side") != "buy" && field(call, "side") != "sell")
      return refused("side_invalid", "side must be \"buy\" or \"sell\"");
    bool buying = op == "buy" || (op == "quote" && field(call, "side") == "buy");
    auto given = field(call, op == "quote" ? "amount" : buying ? "fiat_amount" : "asset_amount");
    auto other = buying ? asset_for_fiat(*pair, given) : fiat_for_asset(*pair, given);
    if (!other)
      return refused("amount_invalid", "the amount is malformed or too small to trade");
    const auto& asset_amount = buying ? *other : given;
    const auto& fiat_amount = buying ? given : *other;
    auto id_name = op == "quote" ? "quote_id" : "trade_id";
    return call_outcome::success({{id_name, "sbx-" + op + "-" + id}, {"price", pair->price},
                                  {"asset_amount", asset_amount}, {"fiat_amount", fiat_amount}});
  }
  if (op == "withdraw" && settings_.kind == provider_kind::chain) {
    char tx_id[32];
    std::snprintf(tx_id, sizeof(tx_id), "0xsbx%016llx", static_cast<unsigned long long>(number));
    if (withdrawals_.emplace(tx_id, now).second) {
      withdrawal_order_.push_back(tx_id);
      if (withdrawal_order_.size() > settings_.remembered_keys_max) {
        withdrawals_.erase(withdrawal_order_.front());
        withdrawal_order_.pop_front();
      }
    }
    return call_outcome::success({{"tx_id", tx_id}});
  }
  if (op == "confirmations") {
    auto sent = withdrawals_.find(field(call, "tx_id"));
    if (sent == withdrawals_.end())
      return refused("unknown_tx", "no withdrawal " + field(call, "tx_id"));
    auto blocks = (now - sent->second) / std::chrono::milliseconds(std::max<uint32_t>(settings_.block_ms, 1));
    return call_outcome::success({{"tx_id", sent->first}, {"confirmations", std::to_string(blocks)}});
  }
  if (op == "supply")
    return call_outcome::success({{"position_id", "sbx-pos-" + id}, {"amount", field(call, "amount")}});
  if (op == "withdraw")
    return call_outcome::success({{"amount", field(call, "amount")}});
  return refused("unknown_operation", "the sandbox has no operation \"" + op + "\"");
}

std::chrono::microseconds sandbox_provider::latency() {
  auto base = std::chrono::microseconds(std::chrono::milliseconds(settings_.latency_ms));
  if (settings_.latency_jitter_ms == 0)
    return base;
  return base + std::chrono::microseconds(static_cast<int64_t>(next_unit() * settings_.latency_jitter_ms * 1000));
}

double sandbox_provider::next_unit() {
  return next_seeded_unit(random_state_);
}

uint64_t sandbox_provider::side_effects() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return side_effects_;
}

uint64_t sandbox_provider::side_effects_for(const std::string& idempotency_key) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = answers_.find(idempotency_key);
  return found == answers_.end() ? 0 : found->second.side_effects;
}

uint64_t sandbox_provider::calls() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return calls_;
}

} // namespace ledgerflow
