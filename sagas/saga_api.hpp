// What the gateway and the CLI need from the saga engine, with no CAF in sight. Callbacks run
// on a CAF worker thread: post them to your own executor before touching I/O.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "protocols/outcome.hpp"
#include "protocols/saga_record.hpp"

namespace ledgerflow {

using saga_params = std::vector<std::pair<std::string, std::string>>;

struct saga_start_request {
  std::string type;             // deposit_to_invest | invest_to_defi
  std::string idempotency_key;  // required; the saga's id is derived from it
  saga_params params;           // decimal strings for amounts, as on the wire
};

// What an operator can do to one saga (POST /v1/sagas/{id}/{action}).
enum class saga_action { pause, resume, retry, abort };
bool saga_action_from_string(const std::string& name, saga_action& action);

class saga_api {
public:
  template <class T>
  using callback = std::function<void(outcome<T>)>;

  virtual ~saga_api() = default;

  // Starts a saga, or answers the one the key already started (same type and params; else
  // idempotency_mismatch). Called back once the saga's first record is durable. Errors:
  // bad_request (unknown type, missing or malformed param), unknown_asset, amount_invalid,
  // idempotency_mismatch, unavailable (not ready).
  virtual void start(saga_start_request request, callback<saga_record> done) = 0;
  // The newest durable record (not_found when none).
  virtual void get(std::string id, callback<saga_record> done) = 0;
  virtual void list(saga_filter filter, callback<std::vector<saga_record>> done) = 0;
  // pause: a running or waiting saga stops before its next step (paused). resume: a paused
  // saga goes on in its direction. retry: a failed saga (its compensation failed) or a paused
  // one tries its current step again with fresh attempts. abort: a non-terminal saga
  // compensates. Answered with the record once the change is durable; conflict when the
  // saga's state does not allow the action, not_found when there is no such saga.
  virtual void steer(std::string id, saga_action action, callback<saga_record> done) = 0;

  virtual bool ready() const = 0;
  // Prometheus text: sagas by type and state, step latency, compensations.
  virtual std::string metrics_text() const = 0;
};

} // namespace ledgerflow
