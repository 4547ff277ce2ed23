// The gateway's own view of an HTTP exchange, free of Beast, so the router and the handlers
// compile fast and can be reasoned about without the transport.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocols/error_code.hpp"

namespace ledgerflow {

enum class http_method : uint8_t { get, head, post, put, delete_, patch, options, other };

std::string_view to_string(http_method method);

struct http_request {
  http_method method = http_method::get;
  std::string path;           // the target before '?', still percent-encoded
  std::string query;          // the target after '?', without it
  std::string authorization;  // the Authorization header, empty when absent
  std::string body;
};

struct http_response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra ones, e.g. Allow
};

// Answers one request exactly once; may be called on any thread.
using responder = std::function<void(http_response)>;

http_response json_response(int status_code, const nlohmann::json& body);
// {"error":{"code","message"}} with the status of the code (error_code.hpp).
http_response error_response(const error& failure);

} // namespace ledgerflow
