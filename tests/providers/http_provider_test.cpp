// The HTTP provider adapter against the real fake provider server (scripts/fake_provider.py)
// on loopback: what each answer becomes, timeouts, retries that must not pay twice, and
// connection reuse under many concurrent calls.
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "providers/http/http_provider.hpp"
#include "tests/support/fake_provider_process.hpp"

using namespace ledgerflow;
using ledgerflow::testing::fake_provider_process;
using std::chrono::milliseconds;

namespace {

// Every call here completes well within this, or the test fails instead of hanging.
constexpr auto completion_bound = std::chrono::seconds(10);
constexpr auto generous_timeout = milliseconds(5'000);

// One call's outcome, delivered from the adapter's thread.
class awaited_outcome {
public:
  call_completion completion() {
    return [promise = promise_](call_outcome outcome, std::chrono::microseconds deliver_after) {
      CHECK(deliver_after.count() == 0);
      promise->set_value(std::move(outcome));  // a second call would throw: done runs once
    };
  }
  // The outcome, or a failure "never_completed" when none came within the bound.
  call_outcome get() {
    if (future_.wait_for(completion_bound) != std::future_status::ready)
      return call_outcome::failure(failure_kind::unavailable, "never_completed", "no outcome within 10 s");
    return future_.get();
  }

private:
  std::shared_ptr<std::promise<call_outcome>> promise_ = std::make_shared<std::promise<call_outcome>>();
  std::future<call_outcome> future_ = promise_->get_future();
};

call_outcome call(http_provider& provider, const provider_call& request, milliseconds timeout = generous_timeout) {
  awaited_outcome outcome;
  provider.start(request, timeout, outcome.completion());
  return outcome.get();
}

provider_call collect(std::string key, std::string amount = "10.00") {
  return {"collect", std::move(key), {{"account", "user:alice"}, {"amount", std::move(amount)}, {"currency", "USD"}}};
}

http_provider_settings settings_for(const fake_provider_process& fake) {
  http_provider_settings settings;
  settings.base_url = fake.base_url();
  return settings;
}

std::string field(const call_outcome& outcome, const std::string& name) {
  const auto* value = find_field(outcome.fields(), name);
  return value == nullptr ? "<missing " + name + ">" : *value;
}

std::string failure_code(const call_outcome& outcome) {
  return outcome.ok() ? "<succeeded>" : outcome.failure().code;
}

// A loopback port nothing listens on: bound, then closed.
uint16_t closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

} // namespace

TEST_CASE("one operation of each kind succeeds with the fake provider's deterministic answer") {
  fake_provider_process fake;
  http_provider payments(provider_kind::payments, settings_for(fake));
  http_provider exchange(provider_kind::exchange, settings_for(fake));
  http_provider chain(provider_kind::chain, settings_for(fake));
  http_provider defi(provider_kind::defi, settings_for(fake));
  CHECK(payments.type() == "http");
  CHECK(exchange.kind() == provider_kind::exchange);

  auto collected = call(payments, collect("collect-1"));
  REQUIRE_MESSAGE(collected.ok(), failure_code(collected));
  CHECK(field(collected, "payment_id") == "pay-1");
  CHECK(field(collected, "amount") == "10.00");

  auto bought = call(exchange, {"buy", "buy-1", {{"asset", "BTC"}, {"currency", "USD"}, {"fiat_amount", "100.00"}}});
  REQUIRE_MESSAGE(bought.ok(), failure_code(bought));
  CHECK(field(bought, "trade_id") == "trade-1");
  CHECK(field(bought, "asset_amount") == "0.00200000");
  CHECK(field(bought, "price") == "50000.00");

  auto withdrawn = call(chain, {"withdraw", "withdraw-1", {{"asset", "BTC"}, {"amount", "0.002"}, {"address", "bc1qxyz"}}});
  REQUIRE_MESSAGE(withdrawn.ok(), failure_code(withdrawn));
  CHECK(field(withdrawn, "tx_id") == "tx-0001");
  auto confirmations = call(chain, {"confirmations", "", {{"tx_id", "tx-0001"}}});
  REQUIRE_MESSAGE(confirmations.ok(), failure_code(confirmations));
  CHECK(field(confirmations, "tx_id") == "tx-0001");

  auto supplied = call(defi, {"supply", "supply-1", {{"protocol", "aave"}, {"asset", "USDC"}, {"amount", "250"}}});
  REQUIRE_MESSAGE(supplied.ok(), failure_code(supplied));
  CHECK(field(supplied, "position_id") == "pos-1");

  // The provider saw the key in the header and the fields as the JSON body.
  auto calls = fake.calls();
  REQUIRE(calls.size() == 5);
  CHECK(calls[0]["kind"] == "payments");
  CHECK(calls[0]["idempotency_key"] == "collect-1");
  CHECK(calls[0]["body"]["account"] == "user:alice");
  CHECK(fake.side_effects()["total"] == 4);  // confirmations changes nothing
}

TEST_CASE("a provider refusing the auth header makes the call rejected, the right value succeeds") {
  fake_provider_process fake({"--auth-value", "Bearer right"});
  auto settings = settings_for(fake);
  settings.auth_value = "Bearer wrong";
  http_provider wrong(provider_kind::payments, settings);
  auto refused = call(wrong, collect("auth-1"));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.failure().kind == failure_kind::rejected);
  CHECK(refused.failure().code == "http_401");
  CHECK(refused.failure().message.find("unauthorized") != std::string::npos);

  settings.auth_value = "Bearer right";
  http_provider right(provider_kind::payments, settings);
  CHECK(call(right, collect("auth-1")).ok());
}

TEST_CASE("a 503 is transient and a 400 is rejected, and neither did anything at the provider") {
  fake_provider_process fake;
  http_provider payments(provider_kind::payments, settings_for(fake));

  fake.set_mode({{"mode", "fail"}, {"status", 503}, {"count", 1}});
  auto unavailable = call(payments, collect("status-1"));
  REQUIRE_FALSE(unavailable.ok());
  CHECK(unavailable.failure().kind == failure_kind::transient);
  CHECK(unavailable.failure().code == "http_503");

  fake.set_mode({{"mode", "fail"}, {"status", 400}, {"count", 1}});
  auto bad = call(payments, collect("status-2"));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.failure().kind == failure_kind::rejected);
  CHECK(bad.failure().code == "http_400");
  CHECK(fake.side_effects()["total"] == 0);

  // A refusal of the provider's own (an unknown payment) carries its message.
  auto refund = call(payments, {"refund", "refund-1", {{"payment_id", "pay-404"}, {"amount", "1.00"}, {"currency", "USD"}}});
  REQUIRE_FALSE(refund.ok());
  CHECK(refund.failure().kind == failure_kind::rejected);
  CHECK(refund.failure().code == "http_404");
  CHECK(refund.failure().message.find("unknown_payment") != std::string::npos);
}

TEST_CASE("a reset connection and a refused connection are transient") {
  fake_provider_process fake;
  http_provider payments(provider_kind::payments, settings_for(fake));
  fake.set_mode({{"mode", "reset"}, {"count", 1}});
  auto reset = call(payments, collect("reset-1"));
  REQUIRE_FALSE(reset.ok());
  CHECK(reset.failure().kind == failure_kind::transient);
  CHECK(reset.failure().code == "connection_reset");
  // The next call gets a fresh connection and goes through.
  auto retried = call(payments, collect("reset-1"));
  CHECK_MESSAGE(retried.ok(), failure_code(retried));

  http_provider_settings nowhere;
  nowhere.base_url = "http://127.0.0.1:" + std::to_string(closed_port());
  http_provider refused(provider_kind::payments, nowhere);
  auto outcome = call(refused, collect("refused-1"));
  REQUIRE_FALSE(outcome.ok());
  CHECK(outcome.failure().kind == failure_kind::transient);
  CHECK(outcome.failure().code == "connect_failed");
}

TEST_CASE("a hung provider times out within the call's timeout, and its connection is not reused") {
  fake_provider_process fake;
  http_provider payments(provider_kind::payments, settings_for(fake));
  REQUIRE(call(payments, collect("warm-up")).ok());
  CHECK(payments.connections().opened_total == 1);

  fake.set_mode({{"mode", "hang"}, {"count", 1}});
  auto started = std::chrono::steady_clock::now();
  auto hung = call(payments, collect("hang-1"), milliseconds(300));
  CHECK(std::chrono::steady_clock::now() - started < completion_bound);
  REQUIRE_FALSE(hung.ok());
  CHECK(hung.failure().kind == failure_kind::timeout);
  CHECK(hung.failure().code == "timeout");
  // The adapter closed the hung connection: the fake sees its client leave.
  int open = -1;
  for (int i = 0; i < 500 && open != 0; ++i, std::this_thread::sleep_for(milliseconds(10)))
    open = fake.connections()["open"].get<int>();
  CHECK(open == 0);

  auto after = call(payments, collect("hang-2"));
  CHECK_MESSAGE(after.ok(), failure_code(after));
  CHECK(payments.connections().opened_total == 2);
}

TEST_CASE("a call retried with the same key after a slow answer timed out is performed once") {
  fake_provider_process fake;
  http_provider payments(provider_kind::payments, settings_for(fake));
  fake.set_mode({{"mode", "slow"}, {"delay_ms", 1'500}, {"count", 1}});
  auto first = call(payments, collect("slow-1"), milliseconds(300));
  REQUIRE_FALSE(first.ok());
  CHECK(first.failure().kind == failure_kind::timeout);

  auto retry = call(payments, collect("slow-1"));
  REQUIRE_MESSAGE(retry.ok(), failure_code(retry));
  CHECK(field(retry, "payment_id") == "pay-1");
  auto again = call(payments, collect("slow-1"));
  REQUIRE(again.ok());
  CHECK(field(again, "payment_id") == "pay-1");

  auto effects = fake.side_effects();
  CHECK(effects["by_key"]["slow-1"] == 1);
  CHECK(effects["total"] == 1);
  CHECK(fake.calls().size() == 3);
}

TEST_CASE("200 concurrent calls all complete over at most connections_max kept-alive connections") {
  fake_provider_process fake;
  auto settings = settings_for(fake);
  settings.connections_max = 4;
  http_provider payments(provider_kind::payments, settings);
  constexpr int calls_total = 200;
  std::vector<awaited_outcome> outcomes(calls_total);
  for (int i = 0; i < calls_total; ++i)
    payments.start(collect("many-" + std::to_string(i)), generous_timeout, outcomes[i].completion());
  int succeeded = 0;
  for (auto& outcome : outcomes)
    succeeded += outcome.get().ok() ? 1 : 0;
  CHECK(succeeded == calls_total);
  CHECK(payments.connections().opened_total <= 4);
  CHECK(payments.connections().open <= 4);
  auto connections = fake.connections();
  CHECK(connections["accepted"].get<int>() <= 4);
  CHECK(connections["open_max"].get<int>() <= 4);
  CHECK(fake.side_effects()["total"] == calls_total);
}

TEST_CASE("calls beyond the busy connections and the full wait queue are refused at once") {
  fake_provider_process fake;
  auto settings = settings_for(fake);
  settings.connections_max = 1;
  settings.waiting_calls_max = 1;
  http_provider payments(provider_kind::payments, settings);
  fake.set_mode({{"mode", "hang"}});
  awaited_outcome on_the_wire, waiting, refused;
  payments.start(collect("busy-1"), milliseconds(1'000), on_the_wire.completion());
  payments.start(collect("busy-2"), milliseconds(1'000), waiting.completion());
  payments.start(collect("busy-3"), milliseconds(1'000), refused.completion());
  auto third = refused.get();
  REQUIRE_FALSE(third.ok());
  CHECK(third.failure().kind == failure_kind::unavailable);
  CHECK(third.failure().code == "connections_busy");
  CHECK(failure_code(on_the_wire.get()) == "timeout");
  CHECK(failure_code(waiting.get()) == "timeout");
}

TEST_CASE("a malformed call is rejected without reaching the provider") {
  fake_provider_process fake;
  http_provider payments(provider_kind::payments, settings_for(fake));
  CHECK(failure_code(call(payments, collect(""))) == "bad_call");  // a mutating call needs a key
  CHECK(failure_code(call(payments, collect("line\r\nX-Injected: 1"))) == "bad_call");
  CHECK(failure_code(call(payments, {"quote", "q", {}})) == "bad_call");
  CHECK(fake.calls().empty());
}

TEST_CASE("stopping the adapter completes a call still waiting for its answer") {
  fake_provider_process fake;
  fake.set_mode({{"mode", "hang"}});
  awaited_outcome outcome;
  {
    http_provider payments(provider_kind::payments, settings_for(fake));
    payments.start(collect("stop-1"), milliseconds(60'000), outcome.completion());
    // Stop only once the provider holds the call.
    for (int i = 0; i < 500 && fake.calls().empty(); ++i)
      std::this_thread::sleep_for(milliseconds(10));
  }
  auto stopped = outcome.get();
  REQUIRE_FALSE(stopped.ok());
  CHECK(stopped.failure().code == "adapter_stopped");
}

TEST_CASE("unusable settings are refused when the adapter is made") {
  http_provider_settings settings;
  settings.base_url = "ftp://127.0.0.1:1";
  CHECK_THROWS_AS(http_provider(provider_kind::payments, settings), std::invalid_argument);
  settings.base_url = "http://127.0.0.1:1";
  settings.auth_value = "secret\r\nX-Injected: 1";
  CHECK_THROWS_AS(http_provider(provider_kind::payments, settings), std::invalid_argument);
  settings.auth_value.clear();
  settings.connections_max = 0;
  CHECK_THROWS_AS(http_provider(provider_kind::payments, settings), std::invalid_argument);
  settings.connections_max = 1;
  settings.base_url = "https://127.0.0.1:1";
  settings.ca_file = "/nonexistent/ca.pem";
  CHECK_THROWS_AS(http_provider(provider_kind::payments, settings), std::invalid_argument);
}

TEST_CASE("https checks the provider's certificate: trusted through ca_file, refused otherwise") {
  ledgerflow::testing::temp_directory directory;
  auto certificate = directory.file("provider.pem");
  auto key = directory.file("provider.key");
  auto command = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=127.0.0.1"
                 " -addext subjectAltName=IP:127.0.0.1 -keyout " + key + " -out " + certificate + " 2>/dev/null";
  REQUIRE_MESSAGE(std::system(command.c_str()) == 0, "the openssl CLI is needed (scripts/install-deps.sh)");
  fake_provider_process fake({"--tls-cert", certificate, "--tls-key", key});  // its control routes are https too

  http_provider_settings settings;
  settings.base_url = "https://127.0.0.1:" + std::to_string(fake.port());
  settings.ca_file = certificate;
  http_provider trusting(provider_kind::payments, settings);
  auto trusted = call(trusting, collect("tls-1"));
  REQUIRE_MESSAGE(trusted.ok(), (trusted.ok() ? "" : trusted.failure().message));
  CHECK(field(trusted, "payment_id") == "pay-1");

  settings.ca_file.clear();  // the system's CAs do not know this self-signed certificate
  http_provider doubting(provider_kind::payments, settings);
  auto refused = call(doubting, collect("tls-2"));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.failure().kind == failure_kind::transient);
  CHECK(refused.failure().code == "tls_failed");
}
