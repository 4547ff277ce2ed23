// What every WebSocket session of one server shares. Owned by http_server; sessions hold it
// by shared_ptr, so it outlives the last of them.
#pragma once

#include <memory>

#include "actors/ledger_api.hpp"
#include "gateway/callback_gate.hpp"
#include "gateway/gateway_config.hpp"
#include "gateway/gateway_metrics.hpp"
#include "gateway/jwt.hpp"
#include "gateway/session_registry.hpp"
#include "gateway/unix_clock.hpp"
#include "gateway/ws/connection_quota.hpp"
#include "gateway/ws/push_hub.hpp"

namespace ledgerflow::ws {

struct ws_context {
  websocket_config config;
  token_keys keys;
  unix_seconds_clock clock;
  ledger_api* ledger = nullptr;
  gateway_metrics* metrics = nullptr;
  std::shared_ptr<push_hub> hub;
  std::shared_ptr<callback_gate> gate;
  std::shared_ptr<session_registry> sessions;
  std::shared_ptr<connection_quota> per_ip = std::make_shared<connection_quota>();
  std::shared_ptr<connection_quota> per_subject = std::make_shared<connection_quota>();
};

} // namespace ledgerflow::ws
