#include "gateway/ws/ws_messages.hpp"

#include "gateway/ws/ws_frame.hpp"
#include "protocols/msgpack_codec.hpp"

namespace ledgerflow::ws {

std::string encode_message(const nlohmann::json& message, frame_format format) {
  if (format == frame_format::msgpack)
    return encode_frame(opcode::binary, json_to_msgpack(message));
  return encode_frame(opcode::text, message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

nlohmann::json reply_message(std::string_view type, std::string_view request_id) {
  nlohmann::json reply{{"type", type}};
  if (!request_id.empty())
    reply["id"] = request_id;
  return reply;
}

nlohmann::json error_message(std::string_view request_id, std::string_view code, std::string_view message) {
  auto error = reply_message("error", request_id);
  error["code"] = code;
  error["message"] = message;
  return error;
}

nlohmann::json error_message(std::string_view request_id, const error& failure) {
  return error_message(request_id, to_string(failure.code), failure.message);
}

} // namespace ledgerflow::ws
