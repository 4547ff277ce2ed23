#include "protocols/json_views.hpp"

#include <cstdio>

#include "protocols/bucket.hpp"

namespace ledgerflow {

namespace {

using json = nlohmann::json;

// Days since 1970-01-01 to a civil date (H. Hinnant's algorithm): no time zone database and
// no thread-unsafe libc calls.
void civil_from_days(int64_t days, int64_t& year, unsigned& month, unsigned& day) {
  days += 719468;
  int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  auto day_of_era = static_cast<unsigned>(days - era * 146097);
  unsigned year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  unsigned day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  unsigned month_index = (5 * day_of_year + 2) / 153;
  day = day_of_year - (153 * month_index + 2) / 5 + 1;
  month = month_index < 10 ? month_index + 3 : month_index - 9;
  year = static_cast<int64_t>(year_of_era) + era * 400 + (month <= 2 ? 1 : 0);
}

int64_t floor_div(int64_t value, int64_t divisor) {
  int64_t quotient = value / divisor;
  return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient;
}

error unrenderable_bucket(std::string_view bucket_name, const error& why) {
  return make_error(error_code::internal, "cannot render bucket \"" + std::string(bucket_name) + "\": " + why.message);
}

json cause_json(const std::string& kind, const std::string& id) {
  return json{{"kind", kind}, {"id", id}};
}

} // namespace

std::string format_timestamp(int64_t unix_us) {
  constexpr int64_t us_per_second = 1'000'000;
  constexpr int64_t seconds_per_day = 86'400;
  int64_t seconds = floor_div(unix_us, us_per_second);
  int64_t micros = unix_us - seconds * us_per_second;
  int64_t days = floor_div(seconds, seconds_per_day);
  int64_t second_of_day = seconds - days * seconds_per_day;
  int64_t year = 0;
  unsigned month = 0;
  unsigned day = 0;
  civil_from_days(days, year, month, day);
  char text[80];
  std::snprintf(text, sizeof(text), "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%06lldZ", static_cast<long long>(year), month,
                day, static_cast<long long>(second_of_day / 3600), static_cast<long long>(second_of_day / 60 % 60),
                static_cast<long long>(second_of_day % 60), static_cast<long long>(micros));
  return text;
}

outcome<int> bucket_decimals(std::string_view bucket_name, const asset_registry& assets) {
  auto parsed = parse_bucket(bucket_name, assets);
  if (!parsed)
    return unrenderable_bucket(bucket_name, parsed.error());
  return parsed->decimals;
}

outcome<json> balance_json(const bucket_balance& balance, const asset_registry& assets) {
  auto decimals = bucket_decimals(balance.bucket, assets);
  if (!decimals)
    return decimals.error();
  return json{
    {"bucket", balance.bucket},
    {"available", format_amount(balance.available, *decimals)},
    {"held", format_amount(balance.held, *decimals)},
  };
}

outcome<json> account_json(std::string_view id, uint64_t seq, const std::vector<bucket_balance>& balances,
                           const asset_registry& assets) {
  auto rendered = json::array();
  for (const auto& balance : balances) {
    auto one = balance_json(balance, assets);
    if (!one)
      return one.error();
    rendered.push_back(std::move(*one));
  }
  return json{{"id", id}, {"seq", seq}, {"balances", std::move(rendered)}};
}

outcome<json> holds_json(std::string_view account, uint64_t seq, const std::vector<open_hold>& holds,
                         const asset_registry& assets) {
  auto rendered = json::array();
  for (const auto& hold : holds) {
    auto decimals = bucket_decimals(hold.bucket, assets);
    if (!decimals)
      return decimals.error();
    rendered.push_back(
      json{{"hold_id", hold.hold_id}, {"bucket", hold.bucket}, {"amount", format_amount(hold.amount, *decimals)}});
  }
  return json{{"account", account}, {"seq", seq}, {"holds", std::move(rendered)}};
}

outcome<json> journal_entry_json(const journal_entry& entry, const asset_registry& assets) {
  auto decimals = bucket_decimals(entry.bucket, assets);
  if (!decimals)
    return decimals.error();
  json counterparty = nullptr;
  if (!entry.counterparty_account.empty())
    counterparty = json{{"account", entry.counterparty_account}, {"bucket", entry.counterparty_bucket}};
  return json{
    {"seq", entry.seq},
    {"kind", to_string(entry.kind)},
    {"bucket", entry.bucket},
    {"amount", format_amount(entry.amount, *decimals)},
    {"available_after", format_amount(entry.available_after, *decimals)},
    {"held_after", format_amount(entry.held_after, *decimals)},
    {"cause", cause_json(entry.cause_kind, entry.cause_id)},
    {"counterparty", std::move(counterparty)},
    {"hold_id", entry.hold_id.empty() ? json(nullptr) : json(entry.hold_id)},
    {"ts", format_timestamp(entry.timestamp_us)},
  };
}

outcome<json> transfer_receipt_json(const transfer_receipt& receipt, const asset_registry& assets) {
  auto asset = assets.find(receipt.asset_code);
  if (!asset)
    return make_error(error_code::internal, "cannot render transfer: asset \"" + receipt.asset_code + "\" is not configured");
  return json{
    {"transfer_id", receipt.transfer_id},
    {"from", {{"account", receipt.from_account}, {"bucket", receipt.from_bucket}, {"seq", receipt.from_seq}}},
    {"to", {{"account", receipt.to_account}, {"bucket", receipt.to_bucket}, {"seq", receipt.to_seq}}},
    {"amount", format_amount(receipt.amount, asset->decimals)},
    {"asset", receipt.asset_code},
    {"ts", format_timestamp(receipt.timestamp_us)},
  };
}

outcome<json> hold_receipt_json(const transfer_receipt& receipt, std::string_view state, const asset_registry& assets) {
  auto asset = assets.find(receipt.asset_code);
  if (!asset)
    return make_error(error_code::internal, "cannot render hold: asset \"" + receipt.asset_code + "\" is not configured");
  return json{
    {"hold_id", receipt.transfer_id},
    {"account", receipt.from_account},
    {"bucket", receipt.from_bucket},
    {"amount", format_amount(receipt.amount, asset->decimals)},
    {"asset", receipt.asset_code},
    {"seq", receipt.from_seq},
    {"state", state},
    {"ts", format_timestamp(receipt.timestamp_us)},
  };
}

outcome<json> balance_event_json(const journal_entry& entry, const asset_registry& assets) {
  auto decimals = bucket_decimals(entry.bucket, assets);
  if (!decimals)
    return decimals.error();
  return json{
    {"type", "balance"},
    {"account", entry.account},
    {"bucket", entry.bucket},
    {"available", format_amount(entry.available_after, *decimals)},
    {"held", format_amount(entry.held_after, *decimals)},
    {"seq", entry.seq},
    {"cause", cause_json(entry.cause_kind, entry.cause_id)},
    {"ts", format_timestamp(entry.timestamp_us)},
  };
}

json error_json(const error& failure) {
  return json{{"error", {{"code", to_string(failure.code)}, {"message", failure.message}}}};
}

} // namespace ledgerflow
