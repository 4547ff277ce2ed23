// provider_service on a real (threaded) actor system over scripted adapters: calls by name,
// routing by kind with failover only when a provider refused without trying, statuses in
// config order and the Prometheus text. Answers are awaited with a bound, never by sleeping.
#include <doctest/doctest.h>

#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "actors/providers/provider_service.hpp"
#include "tests/support/scripted_adapter.hpp"

using namespace ledgerflow;
using namespace ledgerflow::testing;

namespace {

constexpr auto answer_bound = std::chrono::seconds(10);

// A value handed to a callback on a CAF thread, awaited here.
template <class T>
class awaited {
public:
  provider_api::callback<T> callback() {
    return [promise = promise_](outcome<T> value) { promise->set_value(std::move(value)); };
  }
  outcome<T> get() {
    REQUIRE_MESSAGE(future_.wait_for(answer_bound) == std::future_status::ready, "no answer within 10 s");
    return future_.get();
  }

private:
  std::shared_ptr<std::promise<outcome<T>>> promise_ = std::make_shared<std::promise<outcome<T>>>();
  std::future<outcome<T>> future_ = promise_->get_future();
};

supervisor_settings quick_settings(const std::string& name) {
  supervisor_settings settings;
  settings.name = name;
  settings.workers = 2;
  settings.queue_max = 4;
  settings.timeout_ms = 5'000;  // generous: a loaded machine must not turn answers into timeouts
  settings.retry = {3, 1, 5, 2, false};
  return settings;
}

provider_call collect(const std::string& key) {
  return {"collect", key, {{"account", "user:alice"}, {"amount", "1.00"}, {"currency", "USD"}}};
}

struct service_fixture {
  caf::actor_system_config config;
  caf::actor_system system;
  std::shared_ptr<scripted_adapter> rail_a = std::make_shared<scripted_adapter>(provider_kind::payments);
  std::shared_ptr<scripted_adapter> rail_b = std::make_shared<scripted_adapter>(provider_kind::payments);
  std::shared_ptr<scripted_adapter> exchange = std::make_shared<scripted_adapter>(provider_kind::exchange);
  std::unique_ptr<provider_service> service;  // destroyed before the system: it stops the actors

  static caf::actor_system_config& two_threads(caf::actor_system_config& config) {
    config.set("scheduler.max-threads", 2);
    return config;
  }
  service_fixture() : system(two_threads(config)) {}
  ~service_fixture() { service.reset(); }

  void start(supervisor_settings a = quick_settings("rail-a"), supervisor_settings b = quick_settings("rail-b")) {
    std::vector<provider_entry> entries;
    entries.push_back({std::move(a), rail_a});
    entries.push_back({std::move(b), rail_b});
    entries.push_back({quick_settings("exchange-a"), exchange});
    service = std::make_unique<provider_service>(system, std::move(entries));
  }
  outcome<provider_answer> call(const std::string& name, provider_call call) {
    awaited<provider_answer> answer;
    service->call(name, std::move(call), answer.callback());
    return answer.get();
  }
  outcome<provider_answer> call_kind(provider_kind kind, provider_call call) {
    awaited<provider_answer> answer;
    service->call_kind(kind, std::move(call), answer.callback());
    return answer.get();
  }
  provider_status set_breaker(const std::string& name, breaker_action action) {
    awaited<provider_status> status;
    service->set_breaker(name, action, status.callback());
    auto result = status.get();
    REQUIRE(result.has_value());
    return *result;
  }
};

} // namespace

TEST_CASE_FIXTURE(service_fixture, "a call to a provider that is not configured is not_found") {
  start();
  auto answer = call("rail-z", collect("k-1"));
  REQUIRE_FALSE(answer.has_value());
  CHECK(answer.error().code == error_code::not_found);
  CHECK(answer.error().message.find("rail-z") != std::string::npos);
  auto by_kind = call_kind(provider_kind::defi, {"supply", "k-2", {}});
  REQUIRE_FALSE(by_kind.has_value());
  CHECK(by_kind.error().code == error_code::not_found);
  awaited<provider_status> status;
  service->set_breaker("rail-z", breaker_action::force_open, status.callback());
  CHECK(status.get().error().code == error_code::not_found);
  CHECK_FALSE(service->status("rail-z").has_value());
}

TEST_CASE_FIXTURE(service_fixture, "a call by name reaches that provider only") {
  start();
  auto answer = call("rail-b", collect("k-1"));
  REQUIRE(answer.has_value());
  CHECK(answer->provider == "rail-b");
  CHECK(answer->outcome.ok());
  CHECK(answer->attempts == 1);
  CHECK(rail_a->calls().empty());
  CHECK(rail_b->calls().size() == 1);
}

TEST_CASE_FIXTURE(service_fixture, "a call by kind goes to the first provider of the kind") {
  start();
  for (int i = 0; i < 3; ++i) {
    auto answer = call_kind(provider_kind::payments, collect("k-" + std::to_string(i)));
    REQUIRE(answer.has_value());
    CHECK(answer->provider == "rail-a");
    CHECK(answer->outcome.ok());
  }
  CHECK(rail_a->calls().size() == 3);
  CHECK(rail_b->calls().empty());
  auto quote = call_kind(provider_kind::exchange, {"quote", "", {{"asset", "BTC"}, {"currency", "USD"},
                                                                  {"side", "buy"}, {"amount", "1.00"}}});
  REQUIRE(quote.has_value());
  CHECK(quote->provider == "exchange-a");
}

TEST_CASE_FIXTURE(service_fixture, "while the first provider's breaker is open calls by kind go to the second") {
  start();
  CHECK(set_breaker("rail-a", breaker_action::force_open).breaker.state == breaker_state::forced_open);
  CHECK(service->status("rail-a")->breaker.state == breaker_state::forced_open);
  auto answer = call_kind(provider_kind::payments, collect("k-1"));
  REQUIRE(answer.has_value());
  CHECK(answer->provider == "rail-b");
  CHECK(answer->outcome.ok());
  CHECK(rail_a->calls().empty());
  CHECK(rail_b->calls().size() == 1);
  // rail-a was not even asked: a healthy provider comes first.
  CHECK(service->status("rail-a")->calls.not_permitted == 0);

  auto by_name = call("rail-a", collect("k-2"));  // by name there is nowhere else to go
  REQUIRE(by_name.has_value());
  CHECK(by_name->provider == "rail-a");
  CHECK(by_name->outcome.failure().code == "breaker_open");
  CHECK(by_name->attempts == 0);

  CHECK(set_breaker("rail-a", breaker_action::close).breaker.state == breaker_state::closed);
  auto back = call_kind(provider_kind::payments, collect("k-3"));
  REQUIRE(back.has_value());
  CHECK(back->provider == "rail-a");
}

TEST_CASE_FIXTURE(service_fixture, "a provider that refuses without trying (bulkhead full) passes the call to the next") {
  auto a = quick_settings("rail-a");
  a.workers = 1;
  a.queue_max = 0;
  a.timeout_ms = 60'000;  // the hung call holds the only worker for the whole test
  rail_a->then(scripted_step::hang);
  start(a);
  awaited<provider_answer> hung;
  service->call("rail-a", collect("k-hung"), hung.callback());
  // The breaker is closed, so rail-a comes first; it refuses at once and rail-b answers.
  auto answer = call_kind(provider_kind::payments, collect("k-1"));
  REQUIRE(answer.has_value());
  CHECK(answer->provider == "rail-b");
  CHECK(answer->outcome.ok());
  CHECK(rail_a->calls().size() == 1);  // only the hung call
  CHECK(service->status("rail-a")->calls.bulkhead_full == 1);
}

TEST_CASE_FIXTURE(service_fixture, "a failure or a timeout at the first provider is not failed over") {
  SUBCASE("transient failures, retries exhausted") {
    rail_a->then(scripted_step::fail_transient, 3);
    start();
    auto answer = call_kind(provider_kind::payments, collect("k-1"));
    REQUIRE(answer.has_value());
    CHECK(answer->provider == "rail-a");
    CHECK(answer->outcome.failure().kind == failure_kind::transient);
    CHECK(answer->attempts == 3);
  }
  SUBCASE("a timeout: the outcome is unknown, so only rail-a may be asked again") {
    auto a = quick_settings("rail-a");
    a.retry.attempts_max = 1;
    a.timeout_ms = 200;
    rail_a->then(scripted_step::hang);
    start(a);
    auto answer = call_kind(provider_kind::payments, collect("k-1"));
    REQUIRE(answer.has_value());
    CHECK(answer->provider == "rail-a");
    CHECK(answer->outcome.failure().kind == failure_kind::timeout);
  }
  SUBCASE("a refusal by the provider") {
    rail_a->then(scripted_step::reject);
    start();
    auto answer = call_kind(provider_kind::payments, collect("k-1"));
    REQUIRE(answer.has_value());
    CHECK(answer->provider == "rail-a");
    CHECK(answer->outcome.failure().kind == failure_kind::rejected);
  }
  CHECK(rail_b->calls().empty());
}

TEST_CASE_FIXTURE(service_fixture, "statuses list the providers in configuration order") {
  start();
  auto statuses = service->statuses();
  REQUIRE(statuses.size() == 3);
  CHECK(statuses[0].name == "rail-a");
  CHECK(statuses[1].name == "rail-b");
  CHECK(statuses[2].name == "exchange-a");
  CHECK(statuses[0].kind == provider_kind::payments);
  CHECK(statuses[2].kind == provider_kind::exchange);
  CHECK(statuses[0].type == "scripted");
  CHECK(statuses[0].workers == 2);
  CHECK(statuses[0].breaker.state == breaker_state::closed);
  REQUIRE(service->providers().size() == 3);
  CHECK(service->find("rail-b") == &service->providers()[1]);
}

TEST_CASE_FIXTURE(service_fixture, "the metrics text has each family once and a series for every provider") {
  start();
  REQUIRE(call("rail-a", collect("k-1"))->outcome.ok());
  auto text = service->metrics_text();
  std::map<std::string, int> help_lines;
  std::map<std::string, int> type_lines;
  std::vector<std::string> samples;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("# HELP ", 0) == 0)
      ++help_lines[line.substr(7, line.find(' ', 7) - 7)];
    else if (line.rfind("# TYPE ", 0) == 0)
      ++type_lines[line.substr(7, line.find(' ', 7) - 7)];
    else if (!line.empty())
      samples.push_back(line);
  }
  REQUIRE(help_lines.size() >= 8);
  for (const auto& [family, count] : help_lines) {
    CAPTURE(family);
    CHECK(count == 1);
    CHECK(type_lines[family] == 1);
    for (const char* provider : {"rail-a", "rail-b", "exchange-a"}) {
      CAPTURE(provider);
      bool has_series = false;
      for (const auto& sample : samples)
        has_series = has_series
                     || (sample.rfind(family, 0) == 0
                         && sample.find("provider=\"" + std::string(provider) + "\"") != std::string::npos);
      CHECK(has_series);
    }
  }
  CHECK(type_lines.size() == help_lines.size());
  CHECK(text.find("ledgerflow_provider_calls_total{provider=\"rail-a\",kind=\"payments\",outcome=\"succeeded\"} 1")
        != std::string::npos);
  CHECK(text.find("ledgerflow_provider_breaker_healthy{provider=\"rail-b\",kind=\"payments\"} 1") != std::string::npos);
}
