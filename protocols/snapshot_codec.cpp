#include "protocols/snapshot_codec.hpp"

#include <exception>
#include <utility>

#include <nlohmann/json.hpp>

#include "protocols/limits.hpp"

namespace ledgerflow {

namespace {

using json = nlohmann::json;

error corrupt(const std::string& why) {
  return make_error(error_code::internal, "snapshot: " + why);
}

// A required string member of 1 to `length_max` bytes; nullptr when missing or wrong.
const std::string* string_member(const json& object, const char* name, size_t length_max) {
  auto found = object.find(name);
  if (found == object.end() || !found->is_string())
    return nullptr;
  const auto& text = found->get_ref<const std::string&>();
  return text.empty() || text.size() > length_max ? nullptr : &text;
}

outcome<minor_units> amount_member(const json& object, const char* name) {
  auto found = object.find(name);
  if (found == object.end() || !found->is_string())
    return corrupt(std::string(name) + " must be a decimal string");
  auto parsed = parse_decimal_integer(found->get_ref<const std::string&>());
  if (!parsed)
    return corrupt(std::string(name) + ": " + parsed.error().message);
  return parsed;
}

outcome<bucket_balance> decode_balance(const json& item) {
  if (!item.is_object())
    return corrupt("a balance must be an object");
  const auto* bucket = string_member(item, "bucket", limits::bucket_length_max);
  if (bucket == nullptr)
    return corrupt("a balance needs a bucket of 1 to 64 characters");
  auto available = amount_member(item, "available");
  if (!available)
    return available.error();
  auto held = amount_member(item, "held");
  if (!held)
    return held.error();
  return bucket_balance{*bucket, *available, *held};
}

outcome<open_hold> decode_hold(const json& item) {
  if (!item.is_object())
    return corrupt("a hold must be an object");
  const auto* hold_id = string_member(item, "hold_id", limits::idempotency_key_length_max);
  const auto* bucket = string_member(item, "bucket", limits::bucket_length_max);
  if (hold_id == nullptr || bucket == nullptr)
    return corrupt("a hold needs a hold_id and a bucket");
  auto amount = amount_member(item, "amount");
  if (!amount)
    return amount.error();
  return open_hold{*hold_id, *bucket, *amount};
}

// Decodes an array member whose items are sorted by `key_of` with no repeats: the order
// account_snapshot promises, and the only way a repeated bucket or hold is noticed.
template <class Item, class Decode, class Key>
status decode_sorted(const json& body, const char* name, size_t items_max, Decode decode, Key key_of,
                     std::vector<Item>& items) {
  auto found = body.find(name);
  if (found == body.end() || !found->is_array())
    return corrupt(std::string(name) + " must be an array");
  if (found->size() > items_max)
    return corrupt(std::string(name) + " has more than " + std::to_string(items_max) + " items");
  items.reserve(found->size());
  for (const auto& element : *found) {
    auto item = decode(element);
    if (!item)
      return item.error();
    if (!items.empty() && !(key_of(items.back()) < key_of(*item)))
      return corrupt(std::string(name) + " are not sorted or repeat an item");
    items.push_back(std::move(*item));
  }
  return done{};
}

outcome<account_snapshot> decode_body(const json& body) {
  if (!body.is_object())
    return corrupt("not a JSON object");
  account_snapshot snapshot;
  const auto* account = string_member(body, "account", limits::account_id_length_max);
  if (account == nullptr)
    return corrupt("needs an account of 1 to 128 characters");
  snapshot.account = *account;
  auto seq = body.find("seq");
  if (seq == body.end() || !seq->is_number_unsigned())
    return corrupt("seq must be an unsigned integer");
  snapshot.seq = seq->get<uint64_t>();
  auto balances = decode_sorted(body, "balances", limits::buckets_per_account_max, decode_balance,
                                [](const bucket_balance& b) -> const std::string& { return b.bucket; },
                                snapshot.balances);
  if (!balances)
    return balances.error();
  auto holds = decode_sorted(body, "holds", limits::open_holds_per_account_max, decode_hold,
                             [](const open_hold& h) -> const std::string& { return h.hold_id; },
                             snapshot.holds);
  if (!holds)
    return holds.error();
  return snapshot;
}

} // namespace

outcome<std::string> encode_snapshot(const account_snapshot& snapshot) {
  json balances = json::array();
  for (const auto& balance : snapshot.balances)
    balances.push_back({{"bucket", balance.bucket},
                        {"available", to_decimal_string(balance.available)},
                        {"held", to_decimal_string(balance.held)}});
  json holds = json::array();
  for (const auto& hold : snapshot.holds)
    holds.push_back({{"hold_id", hold.hold_id}, {"bucket", hold.bucket}, {"amount", to_decimal_string(hold.amount)}});
  json body = {{"account", snapshot.account}, {"seq", snapshot.seq}, {"balances", std::move(balances)},
               {"holds", std::move(holds)}};
  try {
    return body.dump();
  } catch (const json::exception& failure) {
    return corrupt(std::string("cannot encode: ") + failure.what());
  }
}

outcome<account_snapshot> decode_snapshot(std::string_view text) {
  try {
    auto body = json::parse(text, nullptr, false);
    if (body.is_discarded())
      return corrupt("not valid JSON");
    return decode_body(body);
  } catch (const std::exception& failure) {
    // The checks above make library exceptions unexpected; the promise is still no throw.
    return corrupt(std::string("cannot decode: ") + failure.what());
  }
}

} // namespace ledgerflow
