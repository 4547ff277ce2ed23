// A call to an external provider (payment rail, exchange, chain RPC, DeFi protocol) and its
// outcome, as plain values: what sagas send, supervisors route and adapters carry over the wire.
// Amounts are decimal strings; every mutating call carries an idempotency key, so the provider
// can tell a retry from a new request and never pays twice.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ledgerflow {

enum class provider_kind : uint8_t { payments, exchange, chain, defi };

std::string_view to_string(provider_kind kind);
std::optional<provider_kind> provider_kind_from_string(std::string_view name);

// Named string fields of a call or a result, in a fixed order (the wire is JSON objects).
using provider_fields = std::vector<std::pair<std::string, std::string>>;

// The value of `name`, or nullptr.
const std::string* find_field(const provider_fields& fields, std::string_view name);

struct provider_call {
  std::string operation;        // e.g. "collect", see provider_operations.hpp
  std::string idempotency_key;  // required when the operation changes anything
  provider_fields fields;
};

// Why a call did not succeed, which decides what may happen next.
enum class failure_kind : uint8_t {
  transient,    // the provider failed (5xx, 429, reset connection): retry with the same key
  timeout,      // no answer in time, outcome unknown: retry with the same key, never a new one
  rejected,     // the provider refused (4xx, bad request, insufficient funds there): do not retry
  unavailable,  // not attempted: breaker open, bulkhead full, no provider of the kind
};

std::string_view to_string(failure_kind kind);
// Whether a retry with the same idempotency key may succeed.
bool is_retryable(failure_kind kind);

struct provider_failure {
  failure_kind kind = failure_kind::transient;
  std::string code;  // machine-readable: "http_503", "timeout", "breaker_open", "bulkhead_full"...
  std::string message;
};

// A result or a failure, never both.
class call_outcome {
public:
  call_outcome() = default;
  static call_outcome success(provider_fields fields);
  static call_outcome failure(failure_kind kind, std::string code, std::string message);

  bool ok() const { return !failure_.has_value(); }
  const provider_fields& fields() const { return fields_; }
  const provider_failure& failure() const { return *failure_; }

private:
  provider_fields fields_;
  std::optional<provider_failure> failure_;
};

} // namespace ledgerflow
