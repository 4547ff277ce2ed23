// The saga record's JSON document: what the saga log keeps and a restarted node reads back.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "sagas/saga_data.hpp"

using namespace ledgerflow;

namespace {

// A saga halfway through compensating, with every field away from its default.
saga_data full_saga() {
  saga_data saga;
  saga.id = "sg_0123456789abcdef0123456789abcdef";
  saga.type = "deposit_to_invest";
  saga.state = "compensating";
  saga.account = "user:alice";
  saga.idempotency_key = "start-1";
  saga.request_hash = "ab12";
  // Not in name order: the order must survive, not be sorted by the JSON reader.
  saga.params = {{"account", "user:alice"}, {"currency", "USD"}, {"asset", "BTC"},
                 {"amount", "100.00"},      {"fee", "0.25"},      {"net", "99.75"}};
  step_record collect;
  collect.name = "collect";
  collect.status = "succeeded";
  collect.attempts = 2;
  collect.reached_provider = true;
  collect.provider = "bank-a";
  collect.started_us = 1'000;
  collect.ended_us = 2'000;
  collect.result = {{"payment_id", "pay_1"}, {"amount", "100.00"}};
  collect.compensation = compensation_record{"failed", 3, 5'000, 6'000, saga_error{"http_503", "down"}};
  step_record hold;
  hold.name = "hold";
  hold.status = "uncertain";
  hold.attempts = 1;
  hold.started_us = 3'000;
  hold.error = saga_error{"timeout", "no answer"};
  hold.compensation = compensation_record{};  // running, nothing else yet
  step_record quote;
  quote.name = "quote";  // pending: only name and status are written
  saga.steps = {collect, hold, quote};
  saga.current = 1;
  saga.backward = true;
  saga.waiting_for = "payments";
  saga.error = saga_error{"provider_error", "the buy was refused"};
  saga.version = 7;
  saga.created_us = 1'700'000'000'000'000;
  saga.updated_us = 1'700'000'000'500'000;
  return saga;
}

void check_same_error(const std::optional<saga_error>& read, const std::optional<saga_error>& written) {
  REQUIRE(read.has_value() == written.has_value());
  if (written) {
    CHECK(read->code == written->code);
    CHECK(read->message == written->message);
  }
}

void check_same(const saga_data& read, const saga_data& written) {
  CHECK(read.id == written.id);
  CHECK(read.type == written.type);
  CHECK(read.state == written.state);
  CHECK(read.account == written.account);
  CHECK(read.idempotency_key == written.idempotency_key);
  CHECK(read.request_hash == written.request_hash);
  CHECK(read.params == written.params);
  CHECK(read.current == written.current);
  CHECK(read.backward == written.backward);
  CHECK(read.waiting_for == written.waiting_for);
  check_same_error(read.error, written.error);
  CHECK(read.version == written.version);
  CHECK(read.created_us == written.created_us);
  CHECK(read.updated_us == written.updated_us);
  REQUIRE(read.steps.size() == written.steps.size());
  for (size_t index = 0; index < written.steps.size(); ++index) {
    const auto& got = read.steps[index];
    const auto& want = written.steps[index];
    INFO("step " << want.name);
    CHECK(got.name == want.name);
    CHECK(got.status == want.status);
    CHECK(got.attempts == want.attempts);
    CHECK(got.reached_provider == want.reached_provider);
    CHECK(got.provider == want.provider);
    CHECK(got.started_us == want.started_us);
    CHECK(got.ended_us == want.ended_us);
    CHECK(got.result == want.result);
    check_same_error(got.error, want.error);
    REQUIRE(got.compensation.has_value() == want.compensation.has_value());
    if (want.compensation) {
      CHECK(got.compensation->status == want.compensation->status);
      CHECK(got.compensation->attempts == want.compensation->attempts);
      CHECK(got.compensation->started_us == want.compensation->started_us);
      CHECK(got.compensation->ended_us == want.compensation->ended_us);
      check_same_error(got.compensation->error, want.compensation->error);
    }
  }
}

} // namespace

TEST_CASE("saga document: to_document then from_document keeps every field") {
  auto saga = full_saga();
  auto document = to_document(saga);
  auto read = from_document(document);
  REQUIRE(read);
  check_same(*read, saga);
  // And writing what was read gives the same document again.
  CHECK(to_document(*read) == document);
}

TEST_CASE("saga document: a forward saga without error round-trips too") {
  auto saga = full_saga();
  saga.backward = false;
  saga.error.reset();
  saga.steps[0].compensation.reset();
  saga.current = saga.steps.size();  // finished: no current step
  auto read = from_document(to_document(saga));
  REQUIRE(read);
  check_same(*read, saga);
}

TEST_CASE("saga document: quotes, backslashes and control bytes are escaped") {
  auto saga = full_saga();
  const std::string nasty = "he said \"no\"\\ then\nleft\ttab \x01 end";
  saga.error = saga_error{"provider_error", nasty};
  saga.steps[0].result = {{"note", nasty}, {"quote\"key", "v"}};
  saga.waiting_for = "a\\b";
  auto document = to_document(saga);
  auto parsed = nlohmann::json::parse(document, nullptr, false);
  REQUIRE_FALSE(parsed.is_discarded());
  CHECK(parsed["error"]["message"] == nasty);
  CHECK(parsed["steps"][0]["result"]["note"] == nasty);
  CHECK(parsed["direction"] == "backward");
  CHECK(parsed["step"] == "hold");
  auto read = from_document(document);
  REQUIRE(read);
  check_same(*read, saga);
}

TEST_CASE("saga document: a non-object or a record without id, type or steps is refused") {
  CHECK_FALSE(from_document(""));
  CHECK_FALSE(from_document("not json"));
  CHECK_FALSE(from_document("[1,2]"));
  CHECK_FALSE(from_document("\"text\""));
  auto without = [](const char* key) {
    auto document = nlohmann::json::parse(to_document(full_saga()));
    document.erase(key);
    return from_document(document.dump());
  };
  CHECK(without("waiting_for"));  // optional: read back as its default
  for (const char* key : {"id", "type", "steps"}) {
    INFO(key);
    auto read = without(key);
    REQUIRE_FALSE(read);
    CHECK(read.error().code == error_code::internal);
  }
  auto empty_steps = nlohmann::json::parse(to_document(full_saga()));
  empty_steps["steps"] = nlohmann::json::array();
  CHECK_FALSE(from_document(empty_steps.dump()));
}

TEST_CASE("saga id: the same key names the same saga, another key another") {
  auto id = saga_id_for_key("key-1");
  CHECK(id == saga_id_for_key("key-1"));
  CHECK(id != saga_id_for_key("key-2"));
  CHECK(id.rfind("sg_", 0) == 0);
  CHECK(id.size() == 3 + 32);
}

TEST_CASE("saga request hash: independent of param order, sensitive to amount and type") {
  saga_params params{{"account", "user:alice"}, {"amount", "100.00"}, {"currency", "USD"}, {"asset", "BTC"}};
  saga_params reordered{{"asset", "BTC"}, {"currency", "USD"}, {"account", "user:alice"}, {"amount", "100.00"}};
  auto hash = saga_request_hash("deposit_to_invest", params);
  CHECK(hash.size() == 64);
  CHECK(hash == saga_request_hash("deposit_to_invest", reordered));
  auto other_amount = params;
  other_amount[1].second = "100.01";
  CHECK(hash != saga_request_hash("deposit_to_invest", other_amount));
  CHECK(hash != saga_request_hash("invest_to_defi", params));
}
