#include "app/watch_progress.hpp"

#include <algorithm>

namespace ledgerflow {

namespace {

// Untrusted input: a field of the wrong type reads as absent, never as an exception.
const nlohmann::json* field(const nlohmann::json& object, const char* name) {
  if (!object.is_object())
    return nullptr;
  auto found = object.find(name);
  return found == object.end() ? nullptr : &*found;
}

std::optional<std::string> string_field(const nlohmann::json& object, const char* name) {
  auto value = field(object, name);
  if (!value || !value->is_string())
    return std::nullopt;
  return value->get<std::string>();
}

std::optional<uint64_t> seq_field(const nlohmann::json& object) {
  auto value = field(object, "seq");
  if (!value || !value->is_number_unsigned())
    return std::nullopt;
  return value->get<uint64_t>();
}

} // namespace

watch_progress::watch_progress(std::vector<std::string> accounts, std::optional<uint64_t> since_seq)
  : since_seq_(since_seq) {
  // The server refuses a subscribe that names an account twice; the first mention counts.
  for (auto& account : accounts)
    if (std::find(accounts_.begin(), accounts_.end(), account) == accounts_.end())
      accounts_.push_back(std::move(account));
}

nlohmann::json watch_progress::subscribe_op(const std::string& id) const {
  auto items = nlohmann::json::array();
  for (const auto& account : accounts_) {
    auto resume = last_seq(account);
    if (!resume)
      resume = since_seq_;
    if (resume)
      items.push_back({{"account", account}, {"since_seq", *resume}});
    else
      items.push_back({{"account", account}});
  }
  return {{"op", "subscribe"}, {"id", id}, {"accounts", std::move(items)}};
}

bool watch_progress::take(const nlohmann::json& message) {
  auto type = string_field(message, "type");
  if (type == "subscribed") {
    auto listed = field(message, "accounts");
    if (!listed || !listed->is_array())
      return true;
    for (const auto& item : *listed) {
      auto account = string_field(item, "account");
      auto seq = seq_field(item);
      if (!account || !seq || std::find(accounts_.begin(), accounts_.end(), *account) == accounts_.end())
        continue;
      // Never move back: what was printed stays printed, even if a server answers lower.
      auto& last = last_seq_[*account];
      last = std::max(last, *seq);
    }
    return true;
  }
  if (type == "balance") {
    auto account = string_field(message, "account");
    auto seq = seq_field(message);
    if (account && seq) {
      auto last = last_seq_.find(*account);
      if (last != last_seq_.end() && *seq <= last->second)
        return false;
      last_seq_[*account] = *seq;
    }
    ++balance_events_taken_;
    return true;
  }
  return true;
}

std::optional<uint64_t> watch_progress::last_seq(const std::string& account) const {
  auto found = last_seq_.find(account);
  if (found == last_seq_.end())
    return std::nullopt;
  return found->second;
}

bool subscribe_error_is_transient(std::string_view code) {
  // rate_limited: too many messages for now; unavailable: the journal could not be read for
  // the replay. forbidden, bad_request and too_many_subscriptions answer the same every time.
  return code == "rate_limited" || code == "unavailable";
}

} // namespace ledgerflow
