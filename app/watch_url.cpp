#include "app/watch_url.hpp"

#include <arpa/inet.h>

#include <algorithm>

namespace ledgerflow {

namespace {

outcome<websocket_url> refuse(std::string_view text, const std::string& why) {
  return make_error(error_code::bad_request, "--url \"" + std::string(text) + "\": " + why);
}

bool valid_port(std::string_view port) {
  if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  auto number = std::stoul(std::string(port));
  return number >= 1 && number <= 65535;
}

} // namespace

outcome<websocket_url> parse_websocket_url(std::string_view text) {
  websocket_url url;
  std::string_view rest;
  if (text.substr(0, 5) == "ws://") {
    rest = text.substr(5);
  } else if (text.substr(0, 6) == "wss://") {
    url.tls = true;
    rest = text.substr(6);
  } else {
    return refuse(text, "must start with ws:// or wss://");
  }
  if (rest.find('#') != std::string_view::npos)
    return refuse(text, "a fragment (#...) has no meaning here");
  auto authority_end = rest.find_first_of("/?");
  auto authority = rest.substr(0, authority_end);
  auto target = authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos)
    return refuse(text, "user info (user@) is not supported; pass the token with --token");

  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos)
      return refuse(text, "an IPv6 address needs its closing ]");
    url.host = std::string(authority.substr(1, close - 1));
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':')
        return refuse(text, "unexpected text after the IPv6 address");
      port = after.substr(1);
      if (port.empty())
        return refuse(text, "empty port");
    }
  } else {
    auto colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty())
        return refuse(text, "empty port");
    }
  }
  if (url.host.empty())
    return refuse(text, "no host");
  if (!port.empty() && !valid_port(port))
    return refuse(text, "the port must be a number from 1 to 65535");
  url.port = port.empty() ? (url.tls ? "443" : "80") : std::string(port);
  // The server has one WebSocket route; a bare ws://HOST:PORT means it.
  if (target.empty())
    url.target = "/v1/ws";
  else if (target.front() == '?')
    url.target = "/v1/ws" + std::string(target);
  else
    url.target = std::string(target);
  return url;
}

std::string host_header(const websocket_url& url) {
  auto host = url.host.find(':') == std::string::npos ? url.host : "[" + url.host + "]";
  auto default_port = url.tls ? "443" : "80";
  return url.port == default_port ? host : host + ":" + url.port;
}

bool host_is_ip_address(const std::string& host) {
  unsigned char address[16];
  return inet_pton(AF_INET, host.c_str(), address) == 1 || inet_pton(AF_INET6, host.c_str(), address) == 1;
}

} // namespace ledgerflow
