// A small blocking HTTP/1.1 client for tests, over loopback. Every operation is bounded by a
// timeout, so a misbehaving server fails a test instead of hanging it. Beast stays in the
// .cpp so test files compile fast.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace ledgerflow::testing {

struct http_reply {
  int status = 0;  // 0: no response (connection failed, closed or timed out)
  std::string body;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string transport_error;                 // why status is 0

  std::string header(const std::string& lower_case_name) const;
  // The body as JSON; a discarded value when it is not JSON.
  nlohmann::json json() const;
  // error.code of a JSON error body, or "" when there is none.
  std::string error_code() const;
};

using header_list = std::vector<std::pair<std::string, std::string>>;

// One connection to 127.0.0.1:port, reused for every request while the server keeps it open.
class http_client {
public:
  explicit http_client(uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~http_client();

  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  http_reply get(const std::string& target, const std::string& bearer_token = "");
  // The response is read as one to HEAD: its header only, whatever Content-Length says.
  http_reply head(const std::string& target, const std::string& bearer_token = "");
  http_reply post(const std::string& target, const std::string& body, const std::string& bearer_token = "");
  http_reply send(const std::string& method, const std::string& target, const std::string& body,
                  const header_list& headers);
  // Writes `bytes` as they are and reads one response: for malformed requests.
  http_reply send_raw(const std::string& bytes);
  // True when the server has closed the connection (reads end of stream within `wait`).
  bool closed_by_server(std::chrono::milliseconds wait);

private:
  struct connection;
  std::unique_ptr<connection> connection_;
};

// One request on a fresh connection.
http_reply http_get(uint16_t port, const std::string& target, const std::string& bearer_token = "");
http_reply http_post(uint16_t port, const std::string& target, const std::string& body,
                     const std::string& bearer_token = "");

} // namespace ledgerflow::testing
