// Server messages as frames in the connection's format, and the error frame of API.md:
// {"type":"error","id","code","message"}.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "gateway/ws/ws_handshake.hpp"
#include "protocols/outcome.hpp"

namespace ledgerflow::ws {

// A JSON text frame, or a msgpack binary frame with the same object.
std::string encode_message(const nlohmann::json& message, frame_format format);

// Error codes of the stream that are not HTTP's (docs/websocket.md).
inline constexpr std::string_view too_many_subscriptions = "too_many_subscriptions";

// {"type": type} with "id" when the request had one: the start of every answer.
nlohmann::json reply_message(std::string_view type, std::string_view request_id);

nlohmann::json error_message(std::string_view request_id, std::string_view code, std::string_view message);
nlohmann::json error_message(std::string_view request_id, const error& failure);

} // namespace ledgerflow::ws
