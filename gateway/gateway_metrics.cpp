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
  return text;
}

} // namespace ledgerflow
