#include "gateway/ws/ws_handshake.hpp"

#include <algorithm>
#include <cctype>

#include <openssl/evp.h>

namespace ledgerflow::ws {

namespace {

constexpr std::string_view handshake_guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  return text;
}

// Calls `each` on every comma-separated token of a header value, trimmed.
template <class Each>
void for_each_token(std::string_view list, Each&& each) {
  while (!list.empty()) {
    auto comma = list.find(',');
    auto token = trim(list.substr(0, comma));
    if (!token.empty())
      each(token);
    if (comma == std::string_view::npos)
      break;
    list.remove_prefix(comma + 1);
  }
}

bool lists_token(std::string_view list, std::string_view wanted) {
  bool found = false;
  for_each_token(list, [&](std::string_view token) { found = found || iequals(token, wanted); });
  return found;
}

// A Sec-WebSocket-Key is base64 of exactly 16 bytes: 24 characters ending in "==".
bool is_valid_key(std::string_view key) {
  if (key.size() != 24 || key.substr(22) != "==")
    return false;
  return std::all_of(key.begin(), key.begin() + 22, [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
  });
}

// "https://app.example.com:8443" -> "app.example.com:8443"
std::string_view origin_host(std::string_view origin) {
  auto scheme = origin.find("://");
  if (scheme == std::string_view::npos)
    return {};
  auto host = origin.substr(scheme + 3);
  return host.substr(0, host.find('/'));
}

} // namespace

bool wants_websocket(std::string_view upgrade_header) {
  return lists_token(upgrade_header, "websocket");
}

outcome<accepted_upgrade> check_upgrade(const upgrade_headers& headers) {
  auto refuse = [](const std::string& why) { return make_error(error_code::bad_request, "WebSocket upgrade: " + why); };
  if (!headers.is_get)
    return refuse("the method must be GET");
  if (!lists_token(headers.upgrade, "websocket"))
    return refuse("Upgrade must be websocket");
  if (!lists_token(headers.connection, "upgrade"))
    return refuse("Connection must list upgrade");
  if (trim(headers.version) != "13")
    return refuse("Sec-WebSocket-Version must be 13");
  auto key = trim(headers.key);
  if (!is_valid_key(key))
    return refuse("Sec-WebSocket-Key must be base64 of 16 bytes");
  accepted_upgrade accepted;
  accepted.accept_key = accept_key_for(key);
  // The first offer we speak wins, as RFC 6455 4.2.2 lets the server choose.
  bool chosen = false;
  for_each_token(headers.protocols, [&](std::string_view offer) {
    if (chosen)
      return;
    if (offer == msgpack_subprotocol) {
      accepted.format = frame_format::msgpack;
      accepted.subprotocol = std::string(offer);
      chosen = true;
    } else if (offer == json_subprotocol) {
      accepted.subprotocol = std::string(offer);
      chosen = true;
    }
  });
  return accepted;
}

bool origin_allowed(std::string_view origin, std::string_view host, const std::vector<std::string>& allowed) {
  if (origin.empty())
    return true;
  for (const auto& each : allowed)
    if (each == "*" || iequals(each, origin))
      return true;
  auto from = origin_host(origin);
  return !from.empty() && iequals(from, trim(host));
}

std::string switching_protocols_response(const accepted_upgrade& upgrade) {
  std::string response = "HTTP/1.1 101 Switching Protocols\r\n"
                         "Upgrade: websocket\r\n"
                         "Connection: Upgrade\r\n"
                         "Server: ledgerflow\r\n"
                         "Sec-WebSocket-Accept: ";
  response += upgrade.accept_key;
  response += "\r\n";
  if (!upgrade.subprotocol.empty()) {
    response += "Sec-WebSocket-Protocol: ";
    response += upgrade.subprotocol;
    response += "\r\n";
  }
  response += "\r\n";
  return response;
}

std::string accept_key_for(std::string_view key) {
  std::string input(key);
  input += handshake_guid;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_bytes = 0;
  EVP_Digest(input.data(), input.size(), digest, &digest_bytes, EVP_sha1(), nullptr);
  unsigned char encoded[64];
  auto length = EVP_EncodeBlock(encoded, digest, static_cast<int>(digest_bytes));
  return std::string(reinterpret_cast<const char*>(encoded), static_cast<size_t>(length));
}

} // namespace ledgerflow::ws
