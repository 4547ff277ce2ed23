#include "gateway/ws/push_event.hpp"

#include <spdlog/spdlog.h>

#include "gateway/ws/ws_frame.hpp"
#include "gateway/ws/ws_messages.hpp"
#include "protocols/json_views.hpp"

namespace ledgerflow::ws {

const std::string& push_event::frame(frame_format format, bool coalesced) const {
  size_t variant = (format == frame_format::msgpack ? 2 : 0) + (coalesced ? 1 : 0);
  std::call_once(encoded_[variant], [&] {
    frames_[variant] = encode_balance_frame(entry_, durable_us_, assets_, format, coalesced);
  });
  return frames_[variant];
}

std::string encode_balance_frame(const journal_entry& entry, int64_t durable_us, const asset_registry& assets,
                                 frame_format format, bool coalesced) {
  auto event = balance_event_json(entry, assets);
  if (!event) {
    spdlog::error("websocket: cannot render entry {}#{}: {}", entry.account, entry.seq, event.error().message);
    return {};
  }
  (*event)["durable_us"] = durable_us;
  if (coalesced)
    (*event)["coalesced"] = true;
  return encode_message(*event, format);
}

} // namespace ledgerflow::ws
