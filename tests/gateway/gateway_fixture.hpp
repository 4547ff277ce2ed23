// A real http_server on 127.0.0.1 (ephemeral port) over a fake ledger seeded with two users,
// plus tokens for them and for an admin.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "gateway/gateway_config.hpp"
#include "gateway/http_server.hpp"
#include "gateway/jwt.hpp"
#include "gateway/unix_clock.hpp"
#include "tests/support/fake_ledger.hpp"
#include "tests/support/http_client.hpp"

namespace ledgerflow::testing {

inline constexpr const char* test_secret = "gateway-test-secret-0123456789abcdef";

inline gateway_config test_gateway_config() {
  gateway_config config;
  config.listen = {"127.0.0.1", 0};
  config.jwt_secret = test_secret;
  config.io_threads = 2;
  config.read_timeout_ms = 5'000;
  config.ledger_timeout_ms = 5'000;
  return config;
}

inline std::string make_token(const std::string& subject, std::vector<std::string> accounts,
                              token_role role = token_role::user, int64_t ttl_s = 3'600,
                              const std::string& secret = test_secret) {
  token_claims claims;
  claims.subject = subject;
  claims.accounts = std::move(accounts);
  claims.role = role;
  claims.expires_at_s = system_unix_seconds() + ttl_s;
  return sign_token(claims, secret);
}

struct gateway_fixture {
  fake_ledger ledger;
  std::unique_ptr<http_server> server;
  std::string alice_token = make_token("alice", {"user:alice"});
  std::string bob_token = make_token("bob", {"user:bob"});
  std::string admin_token = make_token("ops", {}, token_role::admin);

  explicit gateway_fixture(gateway_config config = test_gateway_config()) {
    ledger.deposit("user:alice", "banking/USD", "100.00");
    ledger.deposit("user:alice", "investing/BTC", "0.5");
    ledger.deposit("user:bob", "banking/USD", "7.25");
    server = std::make_unique<http_server>(std::move(config), ledger);
    auto started = server->start();
    REQUIRE_MESSAGE(started, (started ? std::string() : started.error().message));
  }

  uint16_t port() const { return server->port(); }

  // The server still answers on a fresh connection.
  bool healthy() const { return http_get(port(), "/healthz").status == 200; }
};

} // namespace ledgerflow::testing
