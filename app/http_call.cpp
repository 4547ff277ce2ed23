#include "app/http_call.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace ledgerflow {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

error bad_url(std::string_view text, const std::string& why) {
  return make_error(error_code::bad_request, "--url " + std::string(text.substr(0, 256)) + ": " + why);
}

// Runs the one pending operation to its end (the stream's deadline bounds it).
void run_pending(net::io_context& io) {
  io.restart();
  io.run();
}

} // namespace

outcome<http_base_url> parse_http_base_url(std::string_view text) {
  constexpr std::string_view scheme = "http://";
  if (text.substr(0, scheme.size()) != scheme)
    return bad_url(text, "must start with http:// (https:// is not supported by the CLI yet)");
  auto rest = text.substr(scheme.size());
  auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  http_base_url url;
  url.base_path = slash == std::string_view::npos ? "" : std::string(rest.substr(slash));
  while (!url.base_path.empty() && url.base_path.back() == '/')
    url.base_path.pop_back();
  if (url.base_path.find_first_of("?#") != std::string::npos)
    return bad_url(text, "must not have a query or a fragment");
  if (authority.find('@') != std::string_view::npos)
    return bad_url(text, "must not carry user info");
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos)
      return bad_url(text, "unclosed '[' in the host");
    url.host = std::string(authority.substr(1, close - 1));
    auto after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':')
      return bad_url(text, "unexpected text after the IPv6 address");
    port = after.empty() ? std::string_view{} : after.substr(1);
  } else {
    auto colon = authority.find(':');
    url.host = std::string(authority.substr(0, colon));
    port = colon == std::string_view::npos ? std::string_view{} : authority.substr(colon + 1);
  }
  if (url.host.empty())
    return bad_url(text, "has no host");
  if (port.empty() && authority.find(':') == std::string_view::npos)
    port = "80";
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos
      || std::stoul(std::string(port)) == 0 || std::stoul(std::string(port)) > 65535)
    return bad_url(text, "the port must be a number from 1 to 65535");
  url.port = std::string(port);
  return url;
}

outcome<http_call_reply> http_call(const http_base_url& url, std::string_view method, const std::string& target,
                                   const std::string& body, const std::string& bearer_token,
                                   std::chrono::milliseconds timeout) {
  auto failed = [&url](const std::string& step, const beast::error_code& ec) {
    return make_error(error_code::unavailable,
                      "http://" + url.host + ":" + url.port + ": " + step + ": " + ec.message());
  };
  net::io_context io;
  beast::error_code ec;
  tcp::resolver resolver(io);
  tcp::resolver::results_type endpoints;
  resolver.async_resolve(url.host, url.port, [&](beast::error_code e, tcp::resolver::results_type found) {
    ec = e;
    endpoints = std::move(found);
  });
  run_pending(io);
  if (ec)
    return failed("resolve", ec);

  beast::tcp_stream stream(io);
  stream.expires_after(timeout);
  stream.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
  run_pending(io);
  if (ec)
    return failed("connect", ec);

  http::request<http::string_body> request{http::string_to_verb(beast::string_view(method.data(), method.size())),
                                           url.base_path + target, 11};
  request.set(http::field::host, url.host);
  request.set(http::field::user_agent, "ledgerflow-cli");
  request.set(http::field::accept, "application/json");
  if (!bearer_token.empty())
    request.set(http::field::authorization, "Bearer " + bearer_token);
  if (!body.empty()) {
    request.set(http::field::content_type, "application/json");
    request.body() = body;
  }
  request.prepare_payload();
  stream.expires_after(timeout);
  http::async_write(stream, request, [&](beast::error_code e, size_t) { ec = e; });
  run_pending(io);
  if (ec)
    return failed("write", ec);

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(http_call_response_bytes_max);
  stream.expires_after(timeout);
  http::async_read(stream, buffer, parser, [&](beast::error_code e, size_t) { ec = e; });
  run_pending(io);
  if (ec)
    return failed("read", ec);
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  auto response = parser.release();
  return http_call_reply{static_cast<int>(response.result_int()), std::move(response.body())};
}

std::string percent_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string encoded;
  for (unsigned char c : text) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'
                      || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      encoded += static_cast<char>(c);
    } else {
      encoded += '%';
      encoded += hex[c >> 4];
      encoded += hex[c & 15];
    }
  }
  return encoded;
}

} // namespace ledgerflow
