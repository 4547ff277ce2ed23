// Tunables of the saga engine ([sagas] in the config file). Times in milliseconds.
#pragma once

#include <cstdint>
#include <string>

namespace ledgerflow {

struct saga_settings {
  // Fee schedule: basis points of the amount, charged as their own legs to fees_account.
  uint32_t deposit_fee_bps = 25;
  uint32_t defi_fee_bps = 0;
  // System accounts on the other side of the user's legs.
  std::string payments_account = "system:payments";  // fiat collected from the user's bank
  std::string exchange_account = "system:exchange";  // the exchange's settlement account
  std::string fees_account = "system:fees";
  uint32_t confirmations = 3;  // default of invest_to_defi's `confirmations` param
  // A step that has not succeeded this long after its first attempt compensates.
  uint32_t step_timeout_ms = 60'000;
  uint32_t confirmation_timeout_ms = 600'000;  // the wait for chain confirmations
  // A compensation that has not succeeded this long leaves the saga failed (operator).
  uint32_t compensation_timeout_ms = 300'000;
  // Between attempts of a step whose provider failed: exponential from base to max.
  uint32_t retry_backoff_ms = 100;
  uint32_t retry_backoff_max_ms = 5'000;
  // How often a waiting saga looks at its provider's breaker, or polls confirmations.
  uint32_t waiting_poll_ms = 250;
  uint32_t confirmation_poll_ms = 500;
};

} // namespace ledgerflow
