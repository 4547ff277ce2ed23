// The WebSocket clients of `bench push`: N Beast clients on a few io threads, each connecting to
// a /v1/ws endpoint (ledgerflow's, or the Node baseline's, which speaks the same protocol),
// subscribing to its accounts in JSON mode, then counting every `balance` frame it receives:
// how many, how late (receive time minus the event's `durable_us`), and whether any account's
// `seq` skipped or repeated. Beast stays in the .cpp (one translation unit).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ledgerflow {

struct ws_client_spec {
  std::string token;                  // sent as `Authorization: Bearer`; empty sends none
  std::vector<std::string> accounts;  // subscribed in one `subscribe` message
};

struct ws_pool_options {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string target = "/v1/ws";
  size_t io_threads = 2;
  size_t connecting_max = 256;  // handshakes in flight at once (the server's accept backlog is finite)
  // Latency samples an io thread keeps until take_latencies_ms() (4 bytes each: 160 MB at
  // most); beyond it deliveries are counted but not sampled (the report says how many were).
  size_t latency_samples_max = 40'000'000;
};

// Totals since the pool started; subtract two readings for a window.
struct ws_pool_counts {
  uint64_t subscribed = 0;    // clients that got their `subscribed` answer
  uint64_t failed = 0;        // clients whose connect, handshake or subscribe failed
  uint64_t closed = 0;        // subscribed clients whose connection ended before the pool did
  uint64_t delivered = 0;     // `balance` frames
  uint64_t coalesced = 0;     // of which marked `"coalesced":true`
  uint64_t seq_missing = 0;   // seqs an account's stream skipped (coalescing or loss)
  uint64_t seq_repeated = 0;  // frames whose seq was not above the last one seen
  uint64_t errors = 0;        // `error` frames
  uint64_t bytes = 0;         // payload bytes of all frames
};

class ws_client_pool {
public:
  ws_client_pool(ws_pool_options options, std::vector<ws_client_spec> clients);
  ~ws_client_pool();  // closes every connection and joins the io threads
  ws_client_pool(const ws_client_pool&) = delete;
  ws_client_pool& operator=(const ws_client_pool&) = delete;

  // Connects and subscribes every client, `connecting_max` at a time. Returns when each has
  // its answer or has failed, or at the timeout; see counts() for how many made it.
  void connect_all(std::chrono::milliseconds timeout);
  ws_pool_counts counts() const;
  // The first failure or error frame seen, for the report; empty when none.
  std::string first_error() const;

  // Latency samples are kept only between record(true) and record(false).
  void record(bool on);
  // Moves the samples (milliseconds) out of every io thread; call after record(false).
  std::vector<float> take_latencies_ms();

  struct impl;  // the io thread's state, defined in the .cpp

private:
  std::unique_ptr<impl> impl_;
};

} // namespace ledgerflow
