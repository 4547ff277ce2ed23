// `[sagas]` in the config file: every key read, and bad values refused with the key named.
#include <doctest/doctest.h>

#include <string>

#include <toml++/toml.h>

#include "app/saga_config.hpp"

using namespace ledgerflow;

namespace {

status read(const std::string& text, saga_settings& settings) {
  auto table = toml::parse(text);
  return read_saga_settings(table, settings);
}

// The message of a refused [sagas] section (empty if it was accepted).
std::string refused(const std::string& section) {
  saga_settings settings;
  auto result = read("[sagas]\n" + section + "\n", settings);
  return result ? std::string() : result.error().message;
}

} // namespace

TEST_CASE("saga config: no [sagas] section keeps the defaults") {
  saga_settings settings;
  REQUIRE(read("listen = \"127.0.0.1:1\"\n", settings));
  saga_settings defaults;
  CHECK(settings.deposit_fee_bps == defaults.deposit_fee_bps);
  CHECK(settings.fees_account == defaults.fees_account);
  CHECK(settings.retry_backoff_max_ms == defaults.retry_backoff_max_ms);
}

TEST_CASE("saga config: every key of [sagas] is read") {
  saga_settings settings;
  REQUIRE(read(R"([sagas]
deposit_fee_bps = 40
defi_fee_bps = 7
payments_account = "system:bank_in"
exchange_account = "system:venue"
fees_account = "system:revenue"
confirmations = 12
step_timeout_ms = 1111
confirmation_timeout_ms = 2222
compensation_timeout_ms = 3333
retry_backoff_ms = 44
retry_backoff_max_ms = 5555
waiting_poll_ms = 66
confirmation_poll_ms = 77
)",
               settings));
  CHECK(settings.deposit_fee_bps == 40);
  CHECK(settings.defi_fee_bps == 7);
  CHECK(settings.payments_account == "system:bank_in");
  CHECK(settings.exchange_account == "system:venue");
  CHECK(settings.fees_account == "system:revenue");
  CHECK(settings.confirmations == 12);
  CHECK(settings.step_timeout_ms == 1111);
  CHECK(settings.confirmation_timeout_ms == 2222);
  CHECK(settings.compensation_timeout_ms == 3333);
  CHECK(settings.retry_backoff_ms == 44);
  CHECK(settings.retry_backoff_max_ms == 5555);
  CHECK(settings.waiting_poll_ms == 66);
  CHECK(settings.confirmation_poll_ms == 77);
}

TEST_CASE("saga config: the edges of the ranges are accepted") {
  CHECK(refused("deposit_fee_bps = 9999") == "");
  CHECK(refused("deposit_fee_bps = 0") == "");
  CHECK(refused("confirmations = 0") == "");
  CHECK(refused("confirmations = 1000") == "");
  CHECK(refused("retry_backoff_ms = 200\nretry_backoff_max_ms = 200") == "");
}

TEST_CASE("saga config: a wrong type or an out-of-range value is refused naming the key") {
  const std::pair<const char*, const char*> cases[] = {
    {"deposit_fee_bps = 10000", "sagas.deposit_fee_bps"},
    {"defi_fee_bps = -1", "sagas.defi_fee_bps"},
    {"deposit_fee_bps = \"25\"", "sagas.deposit_fee_bps"},
    {"deposit_fee_bps = 2.5", "sagas.deposit_fee_bps"},
    {"confirmations = 1001", "sagas.confirmations"},
    {"confirmations = true", "sagas.confirmations"},
    {"step_timeout_ms = 0", "sagas.step_timeout_ms"},
    {"confirmation_timeout_ms = 86400001", "sagas.confirmation_timeout_ms"},
    {"compensation_timeout_ms = 0", "sagas.compensation_timeout_ms"},
    {"retry_backoff_ms = 3600001", "sagas.retry_backoff_ms"},
    {"waiting_poll_ms = 0", "sagas.waiting_poll_ms"},
    {"confirmation_poll_ms = 99999999999", "sagas.confirmation_poll_ms"},
    {"fees_account = \"user:mallory\"", "sagas.fees_account"},
    {"payments_account = \"payments\"", "sagas.payments_account"},
    {"exchange_account = 5", "sagas.exchange_account"},
    {"retry_backoff_ms = 500\nretry_backoff_max_ms = 100", "sagas.retry_backoff_max_ms"},
    {"retry_backoff_max_ms = 50", "sagas.retry_backoff_max_ms"},  // below the default base of 100
  };
  for (const auto& [section, key] : cases) {
    INFO(section);
    auto message = refused(section);
    CHECK(message.find(key) != std::string::npos);
  }
}

TEST_CASE("saga config: a refused value leaves its setting as it was") {
  saga_settings settings;
  auto result = read("[sagas]\nfees_account = \"user:mallory\"\n", settings);
  REQUIRE_FALSE(result);
  CHECK(result.error().code == error_code::bad_request);
  CHECK(settings.fees_account == "system:fees");  // left as it was
}
