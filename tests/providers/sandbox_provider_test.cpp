// The sandbox provider on a clock the test moves: idempotency, the answers of every
// operation, exact exchange amounts, confirmations over time, scripted outages, seeded fault
// rates and latency. The sandbox answers inside start(), so no thread and no wait is needed.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "protocols/provider_operations.hpp"
#include "providers/sandbox/sandbox_provider.hpp"

using namespace ledgerflow;
using namespace std::chrono_literals;

namespace {

// A sandbox whose time moves only when the test advances it.
struct sandbox_fixture {
  std::chrono::steady_clock::time_point now = std::chrono::steady_clock::time_point{} + 1h;
  std::optional<sandbox_provider> sandbox;

  explicit sandbox_fixture(sandbox_settings settings = {}) { start(std::move(settings)); }
  void start(sandbox_settings settings) { sandbox.emplace(std::move(settings), [this] { return now; }); }
  void advance(std::chrono::milliseconds by) { now += by; }

  struct answer {
    call_outcome outcome;
    std::chrono::microseconds deliver_after;
  };
  // What the sandbox answered, or nothing when it hangs.
  std::optional<answer> call(const provider_call& call) {
    std::optional<answer> received;
    sandbox->start(call, 1s, [&received](call_outcome outcome, std::chrono::microseconds after) {
      CHECK_FALSE(received.has_value());  // done runs once
      received = answer{std::move(outcome), after};
    });
    return received;
  }
  // The outcome of a call that must be answered.
  call_outcome outcome(const provider_call& provider_call) {
    auto answered = call(provider_call);
    REQUIRE(answered.has_value());
    return answered->outcome;
  }
};

std::string field_of(const call_outcome& outcome, std::string_view name) {
  REQUIRE(outcome.ok());
  const auto* value = find_field(outcome.fields(), name);
  REQUIRE(value != nullptr);
  return *value;
}

std::string failure_code(const call_outcome& outcome) {
  REQUIRE_FALSE(outcome.ok());
  return outcome.failure().code;
}

provider_call collect(const std::string& key, const std::string& amount = "10.00") {
  return {"collect", key, {{"account", "user:alice"}, {"amount", amount}, {"currency", "USD"}}};
}

provider_call buy(const std::string& fiat_amount, const std::string& currency = "USD", const std::string& asset = "BTC") {
  return {"buy", "buy-" + fiat_amount + currency, {{"asset", asset}, {"currency", currency}, {"fiat_amount", fiat_amount}}};
}

provider_call sell(const std::string& asset_amount, const std::string& currency = "USD") {
  return {"sell", "sell-" + asset_amount + currency,
          {{"asset", "BTC"}, {"currency", currency}, {"asset_amount", asset_amount}}};
}

provider_call withdraw(const std::string& key) {
  return {"withdraw", key, {{"asset", "ETH"}, {"amount", "1.5"}, {"address", "0xabc"}}};
}

provider_call confirmations(const std::string& tx_id) {
  return {"confirmations", "", {{"tx_id", tx_id}}};
}

sandbox_settings of_kind(provider_kind kind) {
  sandbox_settings settings;
  settings.kind = kind;
  return settings;
}

// A value for each call field of the operation table (tx_id is filled in by the test).
std::string sample_value(std::string_view field) {
  if (field == "account") return "user:alice";
  if (field == "currency") return "USD";
  if (field == "asset") return "BTC";
  if (field == "side") return "buy";
  if (field == "asset_amount") return "0.01";
  if (field == "address") return "0xabc";
  if (field == "protocol") return "aave";
  if (field == "payment_id") return "sbx-pay-1";
  return "100.00";  // amount, fiat_amount
}

} // namespace

TEST_CASE("a repeat under the same key does no new work and answers the same ids") {
  sandbox_fixture fixture;
  auto first = fixture.outcome(collect("order-1"));
  auto repeat = fixture.outcome(collect("order-1"));
  CHECK(field_of(first, "payment_id") == field_of(repeat, "payment_id"));
  CHECK(first.fields() == repeat.fields());
  CHECK(fixture.sandbox->side_effects() == 1);
  CHECK(fixture.sandbox->side_effects_for("order-1") == 1);
  CHECK(fixture.sandbox->calls() == 2);

  auto other = fixture.outcome(collect("order-2"));
  CHECK(field_of(other, "payment_id") != field_of(first, "payment_id"));
  CHECK(fixture.sandbox->side_effects() == 2);
}

TEST_CASE("a repeated chain withdrawal answers the same transaction id") {
  sandbox_fixture fixture{of_kind(provider_kind::chain)};
  auto first = fixture.outcome(withdraw("w-1"));
  fixture.advance(5s);
  auto repeat = fixture.outcome(withdraw("w-1"));
  CHECK(field_of(first, "tx_id") == field_of(repeat, "tx_id"));
  CHECK(fixture.sandbox->side_effects() == 1);
}

TEST_CASE("a used key with another request is refused as idempotency_mismatch") {
  sandbox_fixture fixture;
  REQUIRE(fixture.outcome(collect("order-1", "10.00")).ok());
  auto reused = fixture.outcome(collect("order-1", "11.00"));
  CHECK(failure_code(reused) == "idempotency_mismatch");
  CHECK(reused.failure().kind == failure_kind::rejected);
  auto another_operation = fixture.outcome({"refund", "order-1", {{"payment_id", "x"}, {"amount", "1"}, {"currency", "USD"}}});
  CHECK(failure_code(another_operation) == "idempotency_mismatch");
  CHECK(fixture.sandbox->side_effects() == 1);
}

TEST_CASE("every operation of every kind answers the fields its result needs") {
  for (auto kind : {provider_kind::payments, provider_kind::exchange, provider_kind::chain, provider_kind::defi}) {
    sandbox_fixture fixture{of_kind(kind)};
    std::string tx_id;
    for (const auto& spec : provider_operations()) {
      if (spec.kind != kind)
        continue;
      CAPTURE(spec.name);
      provider_call call{std::string(spec.name), spec.mutating ? "key-" + std::string(spec.name) : "", {}};
      for (auto name : spec.call_fields)
        call.fields.emplace_back(name, name == "tx_id" ? tx_id : sample_value(name));
      REQUIRE_FALSE(check_call(kind, call).has_value());
      auto outcome = fixture.outcome(call);
      REQUIRE_MESSAGE(outcome.ok(), (outcome.ok() ? "" : outcome.failure().message));
      CHECK_FALSE(check_result(spec, outcome.fields()).has_value());
      if (kind == provider_kind::chain && spec.name == "withdraw")
        tx_id = field_of(outcome, "tx_id");
    }
    if (kind == provider_kind::chain)
      CHECK_FALSE(tx_id.empty());  // the table lists withdraw before confirmations
  }
}

TEST_CASE("buying, selling and quoting convert amounts exactly at the table's price") {
  sandbox_fixture fixture{of_kind(provider_kind::exchange)};
  auto bought = fixture.outcome(buy("100.00"));
  CHECK(field_of(bought, "asset_amount") == "0.00200000");
  CHECK(field_of(bought, "fiat_amount") == "100.00");
  CHECK(field_of(bought, "price") == "50000.00");

  auto sold = fixture.outcome(sell("0.5"));
  CHECK(field_of(sold, "fiat_amount") == "25000.00");
  CHECK(field_of(sold, "asset_amount") == "0.5");

  auto quote_to_buy = fixture.outcome(
    {"quote", "", {{"asset", "ETH"}, {"currency", "USD"}, {"side", "buy"}, {"amount", "1000.00"}}});
  CHECK(field_of(quote_to_buy, "asset_amount") == "0.400000000000000000");
  CHECK(field_of(quote_to_buy, "fiat_amount") == "1000.00");
  auto quote_to_sell = fixture.outcome(
    {"quote", "", {{"asset", "ETH"}, {"currency", "USD"}, {"side", "sell"}, {"amount", "2"}}});
  CHECK(field_of(quote_to_sell, "fiat_amount") == "5000.00");
}

TEST_CASE("conversions round down, in the provider's favour") {
  sandbox_fixture fixture{of_kind(provider_kind::exchange)};
  // 1.00 EUR at 46000.00 is 0.0000217391... BTC: rounding to nearest would say ...74.
  CHECK(field_of(fixture.outcome(buy("1.00", "EUR")), "asset_amount") == "0.00002173");
  // 0.00002173 BTC at 46000.00 is 0.99958 EUR: rounding to nearest would say 1.00.
  CHECK(field_of(fixture.outcome(sell("0.00002173", "EUR")), "fiat_amount") == "0.99");
}

TEST_CASE("an unknown pair or an unusable amount is refused without a side effect") {
  sandbox_fixture fixture{of_kind(provider_kind::exchange)};
  CHECK(failure_code(fixture.outcome(buy("100.00", "GBP"))) == "unknown_pair");
  CHECK(failure_code(fixture.outcome(buy("100.00", "USD", "DOGE"))) == "unknown_pair");
  for (const char* amount : {"0", "0.00", "abc", "-5.00", "1e3", "1.001", "", " 1.00"}) {
    CAPTURE(amount);
    auto refused = fixture.outcome(buy(amount));
    CHECK(failure_code(refused) == "amount_invalid");
    CHECK(refused.failure().kind == failure_kind::rejected);
  }
  // One satoshi sells for 0.0005 USD, which rounds to nothing.
  CHECK(failure_code(fixture.outcome(sell("0.00000001"))) == "amount_invalid");
  CHECK(fixture.sandbox->side_effects() == 0);
}

TEST_CASE("a payment, withdrawal or supply of a malformed amount is refused without a side effect") {
  sandbox_fixture payments;
  for (const char* amount : {"abc", "-5.00", "0", "0.00", "1.001", "", "1e3"}) {
    CAPTURE(amount);
    CHECK(failure_code(payments.outcome(collect(std::string("bad-") + amount, amount))) == "amount_invalid");
  }
  CHECK(failure_code(payments.outcome({"refund", "r-1", {{"payment_id", "sbx-pay-1"}, {"amount", "-1"},
                                                          {"currency", "USD"}}})) == "amount_invalid");
  CHECK(payments.sandbox->side_effects() == 0);

  sandbox_fixture chain{of_kind(provider_kind::chain)};
  CHECK(failure_code(chain.outcome({"withdraw", "w-1", {{"asset", "BTC"}, {"amount", "0.000000001"},
                                                         {"address", "0xabc"}}})) == "amount_invalid");
  sandbox_fixture defi{of_kind(provider_kind::defi)};
  CHECK(failure_code(defi.outcome({"supply", "s-1", {{"protocol", "aave"}, {"asset", "ETH"}, {"amount", "lots"}}}))
        == "amount_invalid");
  CHECK(chain.sandbox->side_effects() + defi.sandbox->side_effects() == 0);
}

TEST_CASE("a quote's side must be buy or sell") {
  sandbox_fixture fixture{of_kind(provider_kind::exchange)};
  auto refused = fixture.outcome({"quote", "", {{"asset", "BTC"}, {"currency", "USD"}, {"side", "hold"}, {"amount", "1"}}});
  CHECK(failure_code(refused) == "side_invalid");
  CHECK(refused.failure().kind == failure_kind::rejected);
}

TEST_CASE("confirmations grow with the time since the withdrawal, one per block") {
  auto settings = of_kind(provider_kind::chain);
  settings.block_ms = 1'000;
  sandbox_fixture fixture{settings};
  auto tx_id = field_of(fixture.outcome(withdraw("w-1")), "tx_id");
  CHECK(field_of(fixture.outcome(confirmations(tx_id)), "confirmations") == "0");
  fixture.advance(999ms);
  CHECK(field_of(fixture.outcome(confirmations(tx_id)), "confirmations") == "0");
  fixture.advance(1ms);
  CHECK(field_of(fixture.outcome(confirmations(tx_id)), "confirmations") == "1");
  fixture.advance(5'500ms);
  auto later = fixture.outcome(confirmations(tx_id));
  CHECK(field_of(later, "confirmations") == "6");
  CHECK(field_of(later, "tx_id") == tx_id);

  auto unknown = fixture.outcome(confirmations("0xdoesnotexist"));
  CHECK(failure_code(unknown) == "unknown_tx");
  CHECK(unknown.failure().kind == failure_kind::rejected);
}

TEST_CASE("scripted outages apply only inside their window") {
  sandbox_settings settings;
  settings.slow_ms = 250;
  settings.outages = {{1'000, 500, sandbox_fault::error}, {2'000, 500, sandbox_fault::hang},
                      {3'000, 500, sandbox_fault::slow}};
  sandbox_fixture fixture{settings};
  int key = 0;
  auto next = [&] { return fixture.call(collect("k-" + std::to_string(++key))); };

  fixture.advance(999ms);
  CHECK(next()->outcome.ok());
  fixture.advance(1ms);  // 1000 ms: the error outage starts
  auto failed = next();
  REQUIRE(failed.has_value());
  CHECK(failure_code(failed->outcome) == "sandbox_error");
  CHECK(failed->outcome.failure().kind == failure_kind::transient);
  fixture.advance(499ms);
  CHECK_FALSE(next()->outcome.ok());
  fixture.advance(1ms);  // 1500 ms: over
  CHECK(next()->outcome.ok());

  fixture.advance(499ms);
  CHECK(next().has_value());
  fixture.advance(1ms);  // 2000 ms: hang
  CHECK_FALSE(next().has_value());
  fixture.advance(499ms);
  CHECK_FALSE(next().has_value());
  fixture.advance(1ms);  // 2500 ms: over
  CHECK(next().has_value());

  fixture.advance(499ms);
  CHECK(next()->deliver_after == 0us);
  fixture.advance(1ms);  // 3000 ms: slow, the work done
  auto slow = next();
  REQUIRE(slow.has_value());
  CHECK(slow->outcome.ok());
  CHECK(slow->deliver_after == 250ms);
  fixture.advance(500ms);  // 3500 ms: over
  CHECK(next()->deliver_after == 0us);
  // Failed calls did no work; slow ones did.
  CHECK(fixture.sandbox->side_effects() == 7);
}

namespace {

// The faults a sandbox with these rates gives `calls` fresh calls, as codes in call order.
std::vector<std::string> fault_sequence(uint64_t seed, int calls) {
  sandbox_settings settings;
  settings.seed = seed;
  settings.error_rate = 0.2;
  settings.timeout_rate = 0.1;
  settings.slow_rate = 0.05;
  settings.slow_ms = 7;
  sandbox_fixture fixture{settings};
  std::vector<std::string> sequence;
  for (int i = 0; i < calls; ++i) {
    auto answered = fixture.call(collect("k-" + std::to_string(i)));
    if (!answered)
      sequence.push_back("hang");
    else if (!answered->outcome.ok())
      sequence.push_back(answered->outcome.failure().code);
    else
      sequence.push_back(answered->deliver_after > 0us ? "slow" : "ok");
  }
  return sequence;
}

} // namespace

TEST_CASE("error, timeout and slow rates are honoured, and the same seed repeats the same faults") {
  constexpr int calls = 10'000;
  auto sequence = fault_sequence(7, calls);
  auto count = [&sequence](const std::string& code) { return std::count(sequence.begin(), sequence.end(), code); };
  CHECK(count("sandbox_error") > 1'700);  // 20 % of 10,000 +- 15 %
  CHECK(count("sandbox_error") < 2'300);
  CHECK(count("hang") > 800);  // 10 %
  CHECK(count("hang") < 1'200);
  CHECK(count("slow") > 350);  // 5 %
  CHECK(count("slow") < 650);
  CHECK(fault_sequence(7, calls) == sequence);
  CHECK(fault_sequence(8, calls) != sequence);
}

TEST_CASE("deliver_after carries the configured latency and its seeded jitter") {
  sandbox_settings settings;
  settings.latency_ms = 20;
  sandbox_fixture fixture{settings};
  CHECK(fixture.call(collect("k-1"))->deliver_after == 20ms);

  settings.latency_jitter_ms = 10;
  fixture.start(settings);
  std::vector<std::chrono::microseconds> latencies;
  for (int i = 0; i < 200; ++i) {
    auto latency = fixture.call(collect("k-" + std::to_string(i)))->deliver_after;
    CHECK(latency >= 20ms);
    CHECK(latency <= 30ms);
    latencies.push_back(latency);
  }
  CHECK(*std::max_element(latencies.begin(), latencies.end()) - *std::min_element(latencies.begin(), latencies.end()) > 5ms);
  fixture.start(settings);
  for (int i = 0; i < 200; ++i)
    CHECK(fixture.call(collect("k-" + std::to_string(i)))->deliver_after == latencies[i]);
}

TEST_CASE("beyond remembered_keys_max the oldest key is forgotten first") {
  sandbox_settings settings;
  settings.remembered_keys_max = 2;
  sandbox_fixture fixture{settings};
  auto first = field_of(fixture.outcome(collect("k-1")), "payment_id");
  auto second = field_of(fixture.outcome(collect("k-2")), "payment_id");
  auto third = field_of(fixture.outcome(collect("k-3")), "payment_id");
  CHECK(fixture.sandbox->side_effects() == 3);
  // k-2 and k-3 are remembered: no new work.
  CHECK(field_of(fixture.outcome(collect("k-2")), "payment_id") == second);
  CHECK(field_of(fixture.outcome(collect("k-3")), "payment_id") == third);
  CHECK(fixture.sandbox->side_effects() == 3);
  CHECK(fixture.sandbox->side_effects_for("k-1") == 0);
  // k-1 was forgotten: a repeat is new work with a new id (as at a real provider after ~24 h).
  auto again = field_of(fixture.outcome(collect("k-1")), "payment_id");
  CHECK(again != first);
  CHECK(fixture.sandbox->side_effects() == 4);
}

TEST_CASE("a chain sandbox remembers at most remembered_keys_max transactions, the newest") {
  auto settings = of_kind(provider_kind::chain);
  settings.remembered_keys_max = 2;
  sandbox_fixture fixture{settings};
  std::vector<std::string> tx_ids;
  for (const char* key : {"w-1", "w-2", "w-3"})
    tx_ids.push_back(field_of(fixture.outcome(withdraw(key)), "tx_id"));
  CHECK(failure_code(fixture.outcome(confirmations(tx_ids[0]))) == "unknown_tx");
  CHECK(fixture.outcome(confirmations(tx_ids[1])).ok());
  CHECK(fixture.outcome(confirmations(tx_ids[2])).ok());
}
