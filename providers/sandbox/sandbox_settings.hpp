// How a sandbox provider behaves: latency, failure modes, scripted outages, prices and
// confirmations. Seeded, so a run can be repeated exactly.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "protocols/provider_call.hpp"

namespace ledgerflow {

enum class sandbox_fault : uint8_t {
  none,
  error,  // answer a transient failure before doing anything
  hang,   // never answer
  slow,   // do the work, then answer after slow_ms
};

// A fault every call meets from `after_ms` to `after_ms + duration_ms` after the sandbox starts.
struct sandbox_outage {
  uint32_t after_ms = 0;
  uint32_t duration_ms = 0;
  sandbox_fault fault = sandbox_fault::error;
};

struct sandbox_price {
  std::string asset;
  std::string currency;
  std::string price;  // of one unit of the asset, in the currency: a decimal string
};

struct sandbox_settings {
  provider_kind kind = provider_kind::payments;
  uint64_t seed = 42;
  uint32_t latency_ms = 0;         // every answer takes at least this long
  uint32_t latency_jitter_ms = 0;  // plus a uniform [0, jitter]
  double error_rate = 0;           // share of calls that fail transiently (0..1)
  double timeout_rate = 0;         // share of calls that never answer
  double slow_rate = 0;            // share of calls answered after slow_ms
  uint32_t slow_ms = 0;
  std::vector<sandbox_outage> outages;
  std::vector<sandbox_price> prices = {
    {"BTC", "USD", "50000.00"}, {"ETH", "USD", "2500.00"}, {"USDC", "USD", "1.00"},
    {"BTC", "EUR", "46000.00"}, {"ETH", "EUR", "2300.00"}, {"USDC", "EUR", "0.92"}};
  std::map<std::string, int> decimals = {{"USD", 2}, {"EUR", 2}, {"BTC", 8}, {"ETH", 18}, {"USDC", 6}};
  uint32_t block_ms = 1'000;  // one confirmation per block after a chain withdrawal
  // Idempotency keys remembered (oldest forgotten first); real providers keep theirs ~24 h.
  size_t remembered_keys_max = 1'000'000;
};

} // namespace ledgerflow
