// The checks between an HTTP upgrade request for /v1/ws and a running ws_session, in the
// order a client would want to hear about them: a valid upgrade (400), an allowed Origin
// (403), a valid token from the header or ?access_token= (401), room for one more
// connection from this IP and this subject (429). A refusal is an ordinary HTTP error answer.
#pragma once

#include <string>
#include <string_view>

#include "gateway/ws/ws_session.hpp"
#include "protocols/outcome.hpp"

namespace ledgerflow::ws {

inline constexpr std::string_view websocket_path = "/v1/ws";

struct upgrade_request {
  upgrade_headers headers;
  std::string_view authorization;
  std::string_view query;
  std::string remote_ip;
};

outcome<ws_session_setup> prepare_upgrade(const std::shared_ptr<ws_context>& context, const upgrade_request& request);

} // namespace ledgerflow::ws
