// The WebSocket URL `ledgerflow watch --url` takes, split into what a connection needs.
#pragma once

#include <string>
#include <string_view>

#include "protocols/outcome.hpp"

namespace ledgerflow {

struct websocket_url {
  bool tls = false;     // wss://
  std::string host;     // name or address, without the brackets of an IPv6 literal
  std::string port;     // "80" / "443" when the URL names none
  std::string target;   // path and query; "/v1/ws" when the URL has no path
};

// ws://HOST[:PORT][/PATH][?QUERY] or wss://...; IPv6 as [::1]. Anything else, user info
// (`user@`), a fragment or a bad port is bad_request with a message naming the problem.
outcome<websocket_url> parse_websocket_url(std::string_view text);

// The Host header: host, plus ":port" unless it is the scheme's default; IPv6 in brackets.
std::string host_header(const websocket_url& url);

// Whether host is an IP address literal (no SNI, checked as an address in the certificate).
bool host_is_ip_address(const std::string& host);

} // namespace ledgerflow
