#include "gateway/gateway_metrics.hpp"

namespace ledgerflow {

void gateway_metrics::count_response(std::string_view route, http_method method, int status) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++responses_[response_key{std::string(route), method, status}];
}

bool gateway_metrics::try_open_connection(size_t connections_max) {
  auto open = connections_open_.load(std::memory_order_relaxed);
  do {
    if (open >= connections_max) {
      connections_rejected_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
  } while (!connections_open_.compare_exchange_weak(open, open + 1, std::memory_order_relaxed));
  return true;
}

std::string gateway_metrics::prometheus_text() const {
  std::string text;
  text += "# HELP ledgerflow_http_requests_total HTTP responses sent, by route pattern, method and status.\n";
  text += "# TYPE ledgerflow_http_requests_total counter\n";
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [key, count] : responses_) {
      const auto& [route, method, status] = key;
      text += "ledgerflow_http_requests_total{route=\"" + route + "\",method=\"" + std::string(to_string(method))
              + "\",status=\"" + std::to_string(status) + "\"} " + std::to_string(count) + "\n";
    }
  }
  text += "# HELP ledgerflow_http_connections_open HTTP connections open now.\n";
  text += "# TYPE ledgerflow_http_connections_open gauge\n";
  text += "ledgerflow_http_connections_open " + std::to_string(connections_open()) + "\n";
  text += "# HELP ledgerflow_http_connections_rejected_total Connections closed at once because the limit was reached.\n";
  text += "# TYPE ledgerflow_http_connections_rejected_total counter\n";
  text += "ledgerflow_http_connections_rejected_total " + std::to_string(connections_rejected_.load()) + "\n";
  text += "# HELP ledgerflow_http_ledger_timeouts_total Requests answered 503 because the ledger did not reply in time.\n";
  text += "# TYPE ledgerflow_http_ledger_timeouts_total counter\n";
  text += "ledgerflow_http_ledger_timeouts_total " + std::to_string(ledger_timeouts_.load()) + "\n";
  return text + websocket_text();
}

void gateway_metrics::count_websocket_error(std::string_view code) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = websocket_errors_.find(code);
  if (found == websocket_errors_.end())
    websocket_errors_.emplace(std::string(code), 1);
  else
    ++found->second;
}

void gateway_metrics::count_websocket_close(uint16_t code) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++websocket_closes_[code];
}

std::string gateway_metrics::websocket_text() const {
  std::string text;
  text += "# HELP ledgerflow_ws_connections_open WebSocket connections open now.\n";
  text += "# TYPE ledgerflow_ws_connections_open gauge\n";
  text += "ledgerflow_ws_connections_open " + std::to_string(websockets_open_.load()) + "\n";
  text += "# HELP ledgerflow_ws_frames_sent_total Frames written to WebSocket clients (updates, replies, control).\n";
  text += "# TYPE ledgerflow_ws_frames_sent_total counter\n";
  text += "ledgerflow_ws_frames_sent_total " + std::to_string(websocket_frames_.load()) + "\n";
  text += "# HELP ledgerflow_ws_writes_total Writes to WebSocket clients (frames_sent / writes = frames per system call).\n";
  text += "# TYPE ledgerflow_ws_writes_total counter\n";
  text += "ledgerflow_ws_writes_total " + std::to_string(websocket_writes_.load()) + "\n";
  text += "# HELP ledgerflow_ws_coalesced_total Updates dropped for a newer one of the same bucket (slow clients).\n";
  text += "# TYPE ledgerflow_ws_coalesced_total counter\n";
  text += "ledgerflow_ws_coalesced_total " + std::to_string(websocket_coalesced_.load()) + "\n";
  std::lock_guard<std::mutex> lock(mutex_);
  text += "# HELP ledgerflow_ws_errors_total Error frames sent, by code.\n";
  text += "# TYPE ledgerflow_ws_errors_total counter\n";
  for (const auto& [code, count] : websocket_errors_)
    text += "ledgerflow_ws_errors_total{code=\"" + code + "\"} " + std::to_string(count) + "\n";
  text += "# HELP ledgerflow_ws_closes_total Connections the server closed, by close code.\n";
  text += "# TYPE ledgerflow_ws_closes_total counter\n";
  for (const auto& [code, count] : websocket_closes_)
    text += "ledgerflow_ws_closes_total{code=\"" + std::to_string(code) + "\"} " + std::to_string(count) + "\n";
  return text;
}

} // namespace ledgerflow
