// One saga as the engine keeps it in memory and writes it to the saga log: its params, where
// it stands, and every step with its attempts, result, error and compensation. The JSON
// document of the log (and of GET /v1/sagas/{id}) is made from this and read back into it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/outcome.hpp"
#include "protocols/provider_call.hpp"
#include "protocols/saga_record.hpp"
#include "sagas/saga_api.hpp"

namespace ledgerflow {

struct saga_error {
  std::string code;
  std::string message;
};

// Step statuses: pending, running, succeeded, failed (it certainly did nothing: refused, or
// never attempted before its deadline), uncertain (it may have happened: its calls failed or
// timed out after reaching the provider), skipped (nothing to do).
// Compensation statuses: running, succeeded, skipped (nothing to undo), failed.
struct compensation_record {
  std::string status = "running";
  uint32_t attempts = 0;
  int64_t started_us = 0;
  int64_t ended_us = 0;
  std::optional<saga_error> error;
};

struct step_record {
  std::string name;
  std::string status = "pending";
  uint32_t attempts = 0;       // attempts the saga made (each written to the log first)
  bool reached_provider = false;  // some attempt got past the breaker: the outcome may be real
  std::string provider;        // pinned by the first attempt that reached a provider
  int64_t started_us = 0;      // the step's deadline counts from here
  int64_t ended_us = 0;
  provider_fields result;      // provider fields, or ids of the ledger operations
  std::optional<saga_error> error;
  std::optional<compensation_record> compensation;
};

struct saga_data {
  std::string id;
  std::string type;
  std::string state = "running";
  std::string account;
  std::string idempotency_key;
  std::string request_hash;
  saga_params params;  // normalized by the flow's validation
  std::vector<step_record> steps;
  size_t current = 0;     // forward: the step to run; backward: the next to compensate
  bool backward = false;  // compensating
  std::string waiting_for;
  std::optional<saga_error> error;
  std::optional<saga_error> cause;  // why it compensates; the error again once a retry heals it
  uint64_t version = 0;
  int64_t created_us = 0;
  int64_t updated_us = 0;

  // A param, or "" when absent.
  const std::string& param(std::string_view name) const;
  // A field of a step's result, or "" when absent.
  const std::string& result(std::string_view step, std::string_view field) const;
  step_record* find_step(std::string_view name);
};

// The saga's id for a start's idempotency key: the same key always names the same saga.
std::string saga_id_for_key(const std::string& idempotency_key);
// Hex SHA-256 over the type and the params (sorted), so a reused key with others is refused.
std::string saga_request_hash(const std::string& type, const saga_params& params);

std::string to_document(const saga_data& saga);
outcome<saga_data> from_document(const std::string& document);
saga_record to_record(const saga_data& saga);

} // namespace ledgerflow
