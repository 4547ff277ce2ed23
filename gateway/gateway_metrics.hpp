// The gateway's own counters for /metrics, shared by every listener and session. Label
// values are bounded: routes are the router's patterns (or "unmatched"), methods a fixed set,
// statuses the few the gateway produces.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

#include "gateway/http_message.hpp"

namespace ledgerflow {

class gateway_metrics {
public:
  void count_response(std::string_view route, http_method method, int status);
  void count_ledger_timeout() { ledger_timeouts_.fetch_add(1, std::memory_order_relaxed); }

  // Open connections double as the connection limit's counter: one place, no drift.
  bool try_open_connection(size_t connections_max);
  void close_connection() { connections_open_.fetch_sub(1, std::memory_order_relaxed); }
  size_t connections_open() const { return connections_open_.load(std::memory_order_relaxed); }

  // WebSocket stream (gateway/ws/). Error codes and close codes are the few the stream uses.
  void open_websocket() { websockets_open_.fetch_add(1, std::memory_order_relaxed); }
  void close_websocket() { websockets_open_.fetch_sub(1, std::memory_order_relaxed); }
  void count_websocket_frames(size_t frames) { websocket_frames_.fetch_add(frames, std::memory_order_relaxed); }
  void count_websocket_write() { websocket_writes_.fetch_add(1, std::memory_order_relaxed); }
  void count_websocket_coalesced() { websocket_coalesced_.fetch_add(1, std::memory_order_relaxed); }
  void count_websocket_error(std::string_view code);
  void count_websocket_close(uint16_t code);

  std::string prometheus_text() const;

private:
  std::string websocket_text() const;

  using response_key = std::tuple<std::string, http_method, int>;

  mutable std::mutex mutex_;
  std::map<response_key, uint64_t> responses_;
  std::atomic<size_t> connections_open_{0};
  std::atomic<uint64_t> connections_rejected_{0};
  std::atomic<uint64_t> ledger_timeouts_{0};
  std::atomic<int64_t> websockets_open_{0};
  std::atomic<uint64_t> websocket_frames_{0};
  std::atomic<uint64_t> websocket_coalesced_{0};
  std::atomic<uint64_t> websocket_writes_{0};
  std::map<std::string, uint64_t, std::less<>> websocket_errors_;  // under mutex_
  std::map<uint16_t, uint64_t> websocket_closes_;                  // under mutex_
};

} // namespace ledgerflow
