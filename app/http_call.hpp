// A small blocking HTTP/1.1 client for the CLI's REST commands (`ledgerflow saga`): one
// request on a fresh connection, every step bounded by a timeout. http:// only for now.
// Beast stays in the .cpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "protocols/outcome.hpp"

namespace ledgerflow {

inline constexpr size_t http_call_response_bytes_max = 64u << 20;  // a page of 1000 sagas fits
inline constexpr std::chrono::milliseconds http_call_timeout{30'000};

struct http_base_url {
  std::string host;       // name or address, without the brackets of an IPv6 literal
  std::string port;       // "80" when the URL names none
  std::string base_path;  // "" or "/prefix" without a trailing '/': prepended to targets
};

// http://HOST[:PORT][/PREFIX]; https:// and anything else is bad_request naming the problem.
outcome<http_base_url> parse_http_base_url(std::string_view text);

struct http_call_reply {
  int status = 0;
  std::string body;
};

// Sends `method target` (target: path and query, after the base path) with a JSON body when
// not empty and `Authorization: Bearer` when `bearer_token` is not empty. unavailable with
// the reason when there is no answer (cannot connect, timeout, malformed response).
outcome<http_call_reply> http_call(const http_base_url& url, std::string_view method, const std::string& target,
                                   const std::string& body, const std::string& bearer_token,
                                   std::chrono::milliseconds timeout = http_call_timeout);

// RFC 3986 unreserved characters stay, every other byte becomes %XX: for a path segment or a
// query value.
std::string percent_encode(std::string_view text);

} // namespace ledgerflow
