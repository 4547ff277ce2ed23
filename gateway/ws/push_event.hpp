// One durable journal entry on its way to WebSocket subscribers. It is encoded at most once
// per variant (JSON or msgpack, plain or marked coalesced), whole frame included, and the same
// bytes are written to every subscriber that wants that variant.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "actors/ledger_api.hpp"
#include "gateway/ws/ws_handshake.hpp"
#include "protocols/asset_registry.hpp"
#include "protocols/journal_entry.hpp"

namespace ledgerflow::ws {

class push_event {
public:
  // `entry` points into `batch`, which the event keeps alive.
  push_event(durable_entries batch, const journal_entry& entry, int64_t durable_us, const asset_registry& assets)
    : batch_(std::move(batch)), entry_(entry), durable_us_(durable_us), assets_(assets) {}

  const journal_entry& entry() const { return entry_; }
  int64_t durable_us() const { return durable_us_; }

  // The whole frame for this variant; empty when the entry cannot be rendered (its asset is
  // no longer configured), in which case it is not sent. Thread-safe: encodes on first use.
  const std::string& frame(frame_format format, bool coalesced) const;

private:
  static constexpr size_t variants = 4;

  durable_entries batch_;
  const journal_entry& entry_;
  int64_t durable_us_ = 0;
  const asset_registry& assets_;
  mutable std::array<std::once_flag, variants> encoded_;
  mutable std::array<std::string, variants> frames_;
};

using push_event_ptr = std::shared_ptr<const push_event>;

// The frame for a balance event of `entry` (replays use it too, without the sharing).
std::string encode_balance_frame(const journal_entry& entry, int64_t durable_us, const asset_registry& assets,
                                 frame_format format, bool coalesced);

} // namespace ledgerflow::ws
