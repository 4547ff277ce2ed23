#include "tests/support/http_client.hpp"

#include <algorithm>
#include <cctype>
#include <functional>
#include <optional>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace ledgerflow::testing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

std::string http_reply::header(const std::string& lower_case_name) const {
  auto found = headers.find(lower_case_name);
  return found == headers.end() ? std::string() : found->second;
}

nlohmann::json http_reply::json() const {
  return nlohmann::json::parse(body, nullptr, false);
}

std::string http_reply::error_code() const {
  auto parsed = json();
  if (!parsed.is_object() || !parsed.contains("error") || !parsed["error"].is_object()
      || !parsed["error"].contains("code") || !parsed["error"]["code"].is_string())
    return "";
  return parsed["error"]["code"].get<std::string>();
}

// Async operations driven to completion by run_for, so every step has a deadline.
struct http_client::connection {
  net::io_context io;
  beast::tcp_stream stream{io};
  beast::flat_buffer buffer;
  uint16_t port;
  std::chrono::milliseconds timeout;
  bool connected = false;

  connection(uint16_t port_in, std::chrono::milliseconds timeout_in) : port(port_in), timeout(timeout_in) {}

  beast::error_code run(const std::function<void(std::function<void(beast::error_code)>)>& start) {
    std::optional<beast::error_code> result;
    io.restart();
    stream.expires_after(timeout);
    start([&result](beast::error_code ec) { result = ec; });
    io.run_for(timeout + std::chrono::seconds(1));
    if (!result) {
      // Abort the operation and let its handler run while `result` still exists.
      beast::error_code ignored;
      stream.socket().close(ignored);
      io.run_for(std::chrono::seconds(1));
      connected = false;
    }
    return result.value_or(beast::error::timeout);
  }

  beast::error_code ensure_connected() {
    if (connected)
      return {};
    tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), port);
    auto ec = run([&](auto done) { stream.async_connect(endpoint, [done](beast::error_code e) { done(e); }); });
    connected = !ec;
    return ec;
  }

  http_reply exchange(const std::function<void(std::function<void(beast::error_code)>)>& write,
                      bool header_only = false) {
    http_reply reply;
    if (auto ec = ensure_connected()) {
      reply.transport_error = "connect: " + ec.message();
      return reply;
    }
    if (auto ec = run(write)) {
      connected = false;
      reply.transport_error = "write: " + ec.message();
      return reply;
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(16 * 1024 * 1024);
    parser.skip(header_only);
    auto ec = run([&](auto done) {
      http::async_read(stream, buffer, parser, [done](beast::error_code e, size_t) { done(e); });
    });
    if (ec) {
      connected = false;
      reply.transport_error = "read: " + ec.message();
      return reply;
    }
    auto& message = parser.get();
    reply.status = static_cast<int>(message.result_int());
    reply.body = message.body();
    for (const auto& field : message) {
      std::string name(field.name_string().data(), field.name_string().size());
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      reply.headers[name] = std::string(field.value().data(), field.value().size());
    }
    if (!message.keep_alive()) {
      beast::error_code ignored;
      stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
      stream.close();
      connected = false;
    }
    return reply;
  }
};

http_client::http_client(uint16_t port, std::chrono::milliseconds timeout)
  : connection_(std::make_unique<connection>(port, timeout)) {}

http_client::~http_client() = default;

http_reply http_client::get(const std::string& target, const std::string& bearer_token) {
  header_list headers;
  if (!bearer_token.empty())
    headers.emplace_back("Authorization", "Bearer " + bearer_token);
  return send("GET", target, "", headers);
}

http_reply http_client::head(const std::string& target, const std::string& bearer_token) {
  header_list headers;
  if (!bearer_token.empty())
    headers.emplace_back("Authorization", "Bearer " + bearer_token);
  return send("HEAD", target, "", headers);
}

http_reply http_client::post(const std::string& target, const std::string& body, const std::string& bearer_token) {
  header_list headers{{"Content-Type", "application/json"}};
  if (!bearer_token.empty())
    headers.emplace_back("Authorization", "Bearer " + bearer_token);
  return send("POST", target, body, headers);
}

http_reply http_client::send(const std::string& method, const std::string& target, const std::string& body,
                             const header_list& headers) {
  auto request = std::make_shared<http::request<http::string_body>>();
  request->method_string(method);
  request->target(target);
  request->version(11);
  request->set(http::field::host, "127.0.0.1");
  for (const auto& [name, value] : headers)
    request->set(name, value);
  request->body() = body;
  if (!body.empty() || method == "POST")
    request->prepare_payload();
  auto& c = *connection_;
  return c.exchange(
    [&c, request](auto done) {
      http::async_write(c.stream, *request, [done, request](beast::error_code e, size_t) { done(e); });
    },
    method == "HEAD");
}

http_reply http_client::send_raw(const std::string& bytes) {
  auto& c = *connection_;
  auto data = std::make_shared<std::string>(bytes);
  return c.exchange([&c, data](auto done) {
    net::async_write(c.stream, net::buffer(*data), [done, data](beast::error_code e, size_t) { done(e); });
  });
}

bool http_client::closed_by_server(std::chrono::milliseconds wait) {
  auto& c = *connection_;
  if (!c.connected)
    return true;
  auto saved = c.timeout;
  c.timeout = wait;
  char byte = 0;
  auto ec = c.run([&](auto done) {
    c.stream.async_read_some(net::buffer(&byte, 1), [done](beast::error_code e, size_t) { done(e); });
  });
  c.timeout = saved;
  if (ec)
    c.connected = false;  // a timed-out tcp_stream closes its socket
  return ec && ec != beast::error::timeout;
}

http_reply http_get(uint16_t port, const std::string& target, const std::string& bearer_token) {
  http_client client(port);
  return client.get(target, bearer_token);
}

http_reply http_post(uint16_t port, const std::string& target, const std::string& body,
                     const std::string& bearer_token) {
  http_client client(port);
  return client.post(target, body, bearer_token);
}

} // namespace ledgerflow::testing
