// A saga's durable record: what the saga log keeps of one saga, written (with a higher
// version) before each of its steps runs, so a restarted node can resume it. The full state
// (params, every step with attempts, results, errors) is a JSON object in `document`; the
// other fields repeat the parts that stores index for listing and recovery.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace ledgerflow {

struct saga_record {
  std::string id;               // "sg_" + 32 hex: derived from the start's idempotency key
  std::string type;             // "deposit_to_invest", "invest_to_defi"
  std::string state;            // running|waiting|paused|compensating|completed|compensated|failed
  std::string account;          // the user account the saga moves money for
  std::string idempotency_key;  // of the start request
  std::string request_hash;     // hex SHA-256 of type and params: a reused key with others is refused
  uint64_t version = 0;         // 1 at start, +1 with every write; a store keeps the highest
  int64_t created_us = 0;       // unix microseconds
  int64_t updated_us = 0;
  std::string document;         // JSON object: the whole saga as GET /v1/sagas/{id} shows it

  bool operator==(const saga_record& other) const {
    return id == other.id && type == other.type && state == other.state && account == other.account
           && idempotency_key == other.idempotency_key && request_hash == other.request_hash
           && version == other.version && created_us == other.created_us && updated_us == other.updated_us
           && document == other.document;
  }
};

// completed, compensated and failed: nothing runs any more (failed waits for an operator).
bool is_terminal_saga_state(const std::string& state);

// Which sagas list_sagas returns: empty strings match anything; newest first (created_us
// descending, then id), at most `limit`.
struct saga_filter {
  std::string state;
  std::string type;
  std::string account;
  size_t limit = 100;
};

// How many sagas of one type are in one state (for metrics at start).
struct saga_count {
  std::string type;
  std::string state;
  uint64_t count = 0;
};

} // namespace ledgerflow
