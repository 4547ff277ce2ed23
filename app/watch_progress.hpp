// What `ledgerflow watch` has printed so far, per account, so that every (re)connection
// subscribes each account right after the last change it printed: across reconnects no
// change is lost and none is printed twice. No I/O here, so tests can drive it directly.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace ledgerflow {

class watch_progress {
public:
  // Accounts named twice are watched once.
  watch_progress(std::vector<std::string> accounts, std::optional<uint64_t> since_seq);

  // {"op":"subscribe","id":id,"accounts":[...]}: each account with since_seq = the last seq
  // printed for it, or the --since-seq the watch started with, or none (a fresh snapshot).
  nlohmann::json subscribe_op(const std::string& id) const;

  // Takes one server message in; false when it must not be printed (a balance event at or
  // below the seq already printed for its account). A `subscribed` answer moves each listed
  // account to its seq: the snapshot or the replay point it describes counts as printed.
  bool take(const nlohmann::json& message);

  uint64_t balance_events_taken() const { return balance_events_taken_; }
  std::optional<uint64_t> last_seq(const std::string& account) const;

private:
  std::vector<std::string> accounts_;
  std::optional<uint64_t> since_seq_;
  std::map<std::string, uint64_t, std::less<>> last_seq_;
  uint64_t balance_events_taken_ = 0;
};

// Whether an error answering a subscribe may go away by itself (so the watch reconnects
// later) rather than repeat on every attempt (so the watch gives up with exit 2).
bool subscribe_error_is_transient(std::string_view code);

} // namespace ledgerflow
