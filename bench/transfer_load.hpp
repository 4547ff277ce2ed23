// The write load of `bench push`: durable transfers posted to a ledgerflow server over a few
// HTTP/1.1 keep-alive connections (POST /v1/transfers, admin token, a unique idempotency key
// each), on one io thread of its own. Either a fixed list of bodies (the seeding deposits) or
// a steady stream of random transfers between the bench accounts at a set rate, spread evenly
// over time. Beast stays in the .cpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ledgerflow {

struct transfer_load_options {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string token;                  // an admin JWT
  size_t connections = 64;            // one request in flight on each
  std::vector<std::string> accounts;  // random transfers go between two distinct ones
  std::string bucket = "banking/USD";
  std::string amount = "0.01";
  std::string key_prefix = "push-";   // idempotency keys are this plus a counter
  // How late the pacing may run before it gives up slots instead of bursting to catch up.
  std::chrono::milliseconds catch_up_max{20};
};

struct transfer_load_counts {
  uint64_t ok = 0;      // 2xx answers
  uint64_t failed = 0;  // other answers and connection failures
};

class transfer_load {
public:
  explicit transfer_load(transfer_load_options options);
  ~transfer_load();  // stops and joins the io thread
  transfer_load(const transfer_load&) = delete;
  transfer_load& operator=(const transfer_load&) = delete;

  // Posts each body once, `connections` at a time, and waits for every answer or the timeout.
  // Returns how many did not get a 2xx answer (unanswered ones included).
  size_t post_all(std::vector<std::string> bodies, std::chrono::milliseconds timeout);
  // From now on posts random transfers at this many a second; 0 stops.
  void set_rate(double transfers_per_s);
  transfer_load_counts counts() const;
  std::string first_error() const;

  // Request latencies (send to answer) are kept only between record(true) and record(false).
  void record(bool on);
  std::vector<float> take_latencies_ms();

  // The JSON body of a transfer (amounts are decimal strings).
  static std::string transfer_body(const std::string& idempotency_key, const std::string& from,
                                   const std::string& to, const std::string& bucket, const std::string& amount);

  struct impl;  // the io thread's state, defined in the .cpp

private:
  std::unique_ptr<impl> impl_;
};

} // namespace ledgerflow
