#include "protocols/msgpack_codec.hpp"

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include "protocols/hex.hpp"
#include "protocols/json_views.hpp"
#include "protocols/limits.hpp"

using namespace ledgerflow;
using json = nlohmann::json;

namespace {

constexpr minor_units two_to_the_100 = static_cast<minor_units>(1) << 100;

journal_entry sample_entry() {
  journal_entry entry;
  entry.account = "system:treasury";
  entry.seq = 18'446'744'073'709'551'615ull;
  entry.kind = entry_kind::post;
  entry.bucket = "investing/ETH";
  entry.amount = two_to_the_100 + 7;
  entry.available_after = -two_to_the_100;
  entry.held_after = minor_units_max;
  entry.cause_kind = "transfer";
  entry.cause_id = "t-42";
  entry.counterparty_account = "user:alice";
  entry.counterparty_bucket = "investing/ETH";
  entry.hold_id = "h-7";
  entry.timestamp_us = -1'234'567;
  return entry;
}

account_snapshot sample_snapshot() {
  account_snapshot snapshot;
  snapshot.account = "system:fees";
  snapshot.seq = 42;
  snapshot.balances = {{"banking/USD", -1'250, 500}, {"investing/ETH", minor_units_max, minor_units_min}};
  snapshot.holds = {{"h1", "banking/USD", 500}, {"h2", "investing/ETH", two_to_the_100}};
  return snapshot;
}

transfer_receipt sample_receipt() {
  return transfer_receipt{"t-1", "user:alice", "investing/ETH", 9, "user:bob", "investing/ETH", 4, "ETH",
                          two_to_the_100 * 3, 1'700'000'000'123'456};
}

// The JSON form of an encoding, to edit it into the bytes a test needs.
json as_json(const std::string& bytes) {
  auto decoded = msgpack_to_json(bytes);
  REQUIRE(decoded);
  return *decoded;
}

template <class Value>
void check_bad_request(const outcome<Value>& decoded, const std::string& message = "") {
  REQUIRE_FALSE(decoded);
  CHECK(decoded.error().code == error_code::bad_request);
  CHECK_FALSE(decoded.error().message.empty());
  if (!message.empty())
    CHECK(decoded.error().message == message);
}

// Every decoder, reduced to "which error, if any", so one input can be tried on all of them.
using failure_of = std::function<std::optional<error>(std::string_view)>;

template <class Value>
failure_of failure_from(outcome<Value> (*decode)(std::string_view)) {
  return [decode](std::string_view bytes) -> std::optional<error> {
    auto decoded = decode(bytes);
    if (decoded)
      return std::nullopt;
    return decoded.error();
  };
}

std::vector<failure_of> all_decoders() {
  return {failure_from(decode_journal_entry),     failure_from(decode_inflight_leg),
          failure_from(decode_bucket_balance),    failure_from(decode_open_hold),
          failure_from(decode_account_snapshot),  failure_from(decode_transfer_request),
          failure_from(decode_transfer_receipt),  failure_from(msgpack_to_json)};
}

void check_rejected_by_every_decoder(const std::string& bytes) {
  auto hex = to_hex(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  CAPTURE(hex);
  for (const auto& decode : all_decoders()) {
    auto failure = decode(bytes);
    REQUIRE(failure);
    CHECK(failure->code == error_code::bad_request);
    CHECK_FALSE(failure->message.empty());
  }
}

// `depth` maps, each the only value of the one before: {"a":{"a":...{"a":nil}}}.
std::string nested_maps(size_t depth) {
  std::string bytes;
  for (size_t level = 0; level < depth; ++level)
    bytes += "\x81\xa1" "a";
  return bytes + "\xc0";
}

} // namespace

TEST_CASE("a journal entry round-trips through msgpack, amounts beyond 64 bits and negative balances included") {
  auto entry = sample_entry();
  auto decoded = decode_journal_entry(encode(entry));
  REQUIRE(decoded);
  CHECK(*decoded == entry);

  journal_entry credit;
  credit.account = "user:bob";
  credit.seq = 1;
  credit.bucket = "banking/USD";
  credit.amount = 1;
  credit.available_after = 1;
  credit.cause_kind = "saga";
  credit.cause_id = "s-1";
  auto decoded_credit = decode_journal_entry(encode(credit));
  REQUIRE(decoded_credit);
  CHECK(*decoded_credit == credit);
}

TEST_CASE("an inflight leg, a transfer request and a receipt round-trip through msgpack") {
  inflight_leg leg{"t-1", "user:alice", "investing/ETH", 9, "user:bob", "investing/ETH", "ETH",
                   two_to_the_100 + 1, "key-1", std::string(64, 'a'), 1'700'000'000'000'000};
  auto decoded_leg = decode_inflight_leg(encode(leg));
  REQUIRE(decoded_leg);
  CHECK(decoded_leg->transfer_id == leg.transfer_id);
  CHECK(decoded_leg->from_account == leg.from_account);
  CHECK(decoded_leg->from_bucket == leg.from_bucket);
  CHECK(decoded_leg->from_seq == leg.from_seq);
  CHECK(decoded_leg->to_account == leg.to_account);
  CHECK(decoded_leg->to_bucket == leg.to_bucket);
  CHECK(decoded_leg->asset_code == leg.asset_code);
  CHECK(decoded_leg->amount == leg.amount);
  CHECK(decoded_leg->idempotency_key == leg.idempotency_key);
  CHECK(decoded_leg->request_hash == leg.request_hash);
  CHECK(decoded_leg->timestamp_us == leg.timestamp_us);

  transfer_request request{"key-2", "user:alice", "banking/USD", "system:fees", "banking/USD", minor_units_max};
  auto decoded_request = decode_transfer_request(encode(request));
  REQUIRE(decoded_request);
  CHECK(decoded_request->idempotency_key == request.idempotency_key);
  CHECK(decoded_request->from_account == request.from_account);
  CHECK(decoded_request->from_bucket == request.from_bucket);
  CHECK(decoded_request->to_account == request.to_account);
  CHECK(decoded_request->to_bucket == request.to_bucket);
  CHECK(decoded_request->amount == request.amount);

  auto receipt = sample_receipt();
  auto decoded_receipt = decode_transfer_receipt(encode(receipt));
  REQUIRE(decoded_receipt);
  CHECK(decoded_receipt->transfer_id == receipt.transfer_id);
  CHECK(decoded_receipt->from_account == receipt.from_account);
  CHECK(decoded_receipt->from_bucket == receipt.from_bucket);
  CHECK(decoded_receipt->from_seq == receipt.from_seq);
  CHECK(decoded_receipt->to_account == receipt.to_account);
  CHECK(decoded_receipt->to_bucket == receipt.to_bucket);
  CHECK(decoded_receipt->to_seq == receipt.to_seq);
  CHECK(decoded_receipt->asset_code == receipt.asset_code);
  CHECK(decoded_receipt->amount == receipt.amount);
  CHECK(decoded_receipt->timestamp_us == receipt.timestamp_us);
}

TEST_CASE("a snapshot, its balances and its holds round-trip through msgpack") {
  auto snapshot = sample_snapshot();
  auto decoded = decode_account_snapshot(encode(snapshot));
  REQUIRE(decoded);
  CHECK(*decoded == snapshot);

  account_snapshot empty;
  empty.account = "user:carol";
  auto decoded_empty = decode_account_snapshot(encode(empty));
  REQUIRE(decoded_empty);
  CHECK(*decoded_empty == empty);

  for (const auto& balance : snapshot.balances) {
    auto one = decode_bucket_balance(encode(balance));
    REQUIRE(one);
    CHECK(*one == balance);
  }
  for (const auto& hold : snapshot.holds) {
    auto one = decode_open_hold(encode(hold));
    REQUIRE(one);
    CHECK(*one == hold);
  }
}

TEST_CASE("amounts travel as decimal strings of minor units, never as numbers") {
  CHECK(as_json(encode(bucket_balance{"investing/ETH", -two_to_the_100, minor_units_max}))
        == json{{"bucket", "investing/ETH"},
                {"available", "-1267650600228229401496703205376"},
                {"held", "170141183460469231731687303715884105727"}});
  auto entry = as_json(encode(sample_entry()));
  CHECK(entry["kind"] == "post");
  CHECK(entry["seq"] == 18'446'744'073'709'551'615ull);
  CHECK(entry["timestamp_us"] == -1'234'567);
}

TEST_CASE("a balance event crosses the JSON bridge as the same object json_views renders") {
  auto assets = asset_registry::defaults();
  journal_entry entry;
  entry.account = "user:alice";
  entry.seq = 12;
  entry.kind = entry_kind::credit;
  entry.bucket = "banking/USD";
  entry.amount = 1'250;
  entry.available_after = 51'250;
  entry.cause_kind = "transfer";
  entry.cause_id = "t-9";
  entry.timestamp_us = 1'700'000'000'123'456;
  auto event = balance_event_json(entry, assets);
  REQUIRE(event);
  auto rendered_entry = journal_entry_json(entry, assets);  // counterparty and hold_id are null
  REQUIRE(rendered_entry);
  json frame = *event;
  frame["entry"] = *rendered_entry;
  frame["replayed"] = false;
  frame["live"] = true;
  frame["offset"] = -3;
  frame["tags"] = json::array({"a", 1, nullptr, json::object()});

  auto bytes = json_to_msgpack(frame);
  CHECK((static_cast<unsigned char>(bytes.front()) & 0xF0u) == 0x80u);  // a fixmap
  auto decoded = msgpack_to_json(bytes);
  REQUIRE(decoded);
  CHECK(*decoded == frame);
  CHECK(decoded->dump() == frame.dump());
  CHECK((*decoded)["available"] == "512.50");
  CHECK((*decoded)["entry"]["counterparty"].is_null());

  // Plain msgpack both ways: another implementation reads ours and we read its.
  CHECK(json::from_msgpack(bytes) == frame);
  auto other_bytes = json::to_msgpack(frame);
  auto from_other = msgpack_to_json(std::string_view(reinterpret_cast<const char*>(other_bytes.data()), other_bytes.size()));
  REQUIRE(from_other);
  CHECK(*from_other == frame);
}

TEST_CASE("empty, truncated and reserved-byte input is rejected with bad_request by every decoder") {
  check_rejected_by_every_decoder("");
  check_rejected_by_every_decoder("\xc1");
  check_rejected_by_every_decoder(std::string("\x81\xa1" "a\xc1", 4));

  for (const auto& whole : {encode(sample_entry()), encode(sample_snapshot())})
    for (size_t size = 0; size < whole.size(); ++size)
      check_rejected_by_every_decoder(whole.substr(0, size));
}

TEST_CASE("bytes after the message are rejected") {
  check_bad_request(decode_journal_entry(encode(sample_entry()) + '\xc0'),
                    "journal_entry: trailing bytes after the message");
  check_bad_request(decode_account_snapshot(encode(sample_snapshot()) + encode(sample_snapshot())));
  check_bad_request(msgpack_to_json(json_to_msgpack(json{{"a", 1}}) + '\x01'));
}

TEST_CASE("maps nested deeper than the limit are rejected, the limit itself is accepted") {
  CHECK(msgpack_to_json(nested_maps(limits::msgpack_depth_max)));
  check_rejected_by_every_decoder(nested_maps(limits::msgpack_depth_max + 1));
  check_rejected_by_every_decoder(nested_maps(100'000));
}

TEST_CASE("headers claiming more elements than the limits allow are rejected before any allocation") {
  check_rejected_by_every_decoder(std::string("\xdd\x80\x00\x00\x00", 5));  // array of 2^31
  auto refused = msgpack_to_json(std::string("\xdd\x80\x00\x00\x00", 5));
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find("array size overflow") != std::string::npos);
  check_rejected_by_every_decoder(std::string("\xdf\x80\x00\x00\x00", 5));  // map of 2^31
  check_rejected_by_every_decoder(std::string("\xdb\xff\xff\xff\xff", 5));  // string of 4 GiB
  check_rejected_by_every_decoder(std::string("\x81\xa5holds\xdd\x80\x00\x00\x00", 12));
  // One item over the array limit, with every item present.
  std::string items_over(1, '\xdd');
  auto count = static_cast<uint32_t>(limits::msgpack_array_items_max + 1);
  for (int shift = 24; shift >= 0; shift -= 8)
    items_over += static_cast<char>((count >> shift) & 0xFFu);
  items_over += std::string(count, '\xc0');
  check_rejected_by_every_decoder(items_over);
}

TEST_CASE("a message over the size limit is refused as too large without being read") {
  std::string huge(limits::msgpack_message_bytes_max + 1, '\xc0');
  auto decoded = decode_account_snapshot(huge);
  REQUIRE_FALSE(decoded);
  CHECK(decoded.error().code == error_code::payload_too_large);
}

TEST_CASE("a field of the wrong type is rejected with a message naming it") {
  auto entry = as_json(encode(sample_entry()));
  entry["seq"] = "7";
  check_bad_request(decode_journal_entry(json_to_msgpack(entry)), "journal_entry.seq must be an unsigned integer");

  entry = as_json(encode(sample_entry()));
  entry["timestamp_us"] = 18'446'744'073'709'551'615ull;
  check_bad_request(decode_journal_entry(json_to_msgpack(entry)),
                    "journal_entry.timestamp_us must be a signed 64-bit integer");

  entry = as_json(encode(sample_entry()));
  entry["account"] = 5;
  check_bad_request(decode_journal_entry(json_to_msgpack(entry)), "journal_entry.account must be a string");

  entry = as_json(encode(sample_entry()));
  entry["kind"] = "steal";
  check_bad_request(decode_journal_entry(json_to_msgpack(entry)),
                    "journal_entry.kind must be one of credit, debit, hold, release, post");

  auto snapshot = as_json(encode(sample_snapshot()));
  snapshot["holds"] = json::object();
  check_bad_request(decode_account_snapshot(json_to_msgpack(snapshot)), "account_snapshot.holds must be an array");

  check_bad_request(decode_journal_entry(json_to_msgpack(json::array({1, 2}))), "journal_entry must be a map with string keys");
}

TEST_CASE("an amount that is not a decimal string of minor units is rejected") {
  const std::string why = "bucket_balance.available must be a decimal string of minor units";
  auto balance = as_json(encode(bucket_balance{"banking/USD", 5, 0}));
  for (const json& amount : {json("1e5"), json("abc"), json(""), json("12.50"), json("+5"), json(" 5"),
                             json(std::string(41, '9')), json(5), json(5.0), json(nullptr)}) {
    CAPTURE(amount.dump());
    balance["available"] = amount;
    auto decoded = decode_bucket_balance(json_to_msgpack(balance));
    REQUIRE_FALSE(decoded);
    CHECK(decoded.error().code == error_code::bad_request);
    CHECK(decoded.error().message.rfind(why, 0) == 0);
  }
  balance["available"] = "1e5";
  check_bad_request(decode_bucket_balance(json_to_msgpack(balance)), why + " (not a decimal integer)");

  auto snapshot = as_json(encode(sample_snapshot()));
  snapshot["holds"][1]["amount"] = "abc";
  check_bad_request(decode_account_snapshot(json_to_msgpack(snapshot)),
                    "account_snapshot.holds[1].amount must be a decimal string of minor units (not a decimal integer)");
}

TEST_CASE("a missing required field is rejected, a missing optional one reads as empty") {
  auto receipt = as_json(encode(sample_receipt()));
  receipt.erase("to_seq");
  check_bad_request(decode_transfer_receipt(json_to_msgpack(receipt)), "transfer_receipt.to_seq is missing");

  // Another type's message is not mistaken for this one.
  check_bad_request(decode_journal_entry(encode(sample_snapshot())));
  check_bad_request(decode_transfer_request(encode(sample_entry())));

  auto entry = as_json(encode(sample_entry()));
  entry.erase("counterparty_account");
  entry.erase("counterparty_bucket");
  entry["hold_id"] = nullptr;
  auto decoded = decode_journal_entry(json_to_msgpack(entry));
  REQUIRE(decoded);
  auto expected = sample_entry();
  expected.counterparty_account.clear();
  expected.counterparty_bucket.clear();
  expected.hold_id.clear();
  CHECK(*decoded == expected);
}

TEST_CASE("unknown keys are ignored, at the top and inside nested items") {
  auto entry = as_json(encode(sample_entry()));
  entry["added_in_v2"] = json{{"nested", json::array({1, "two", nullptr})}};
  entry["note"] = nullptr;
  auto decoded = decode_journal_entry(json_to_msgpack(entry));
  REQUIRE(decoded);
  CHECK(*decoded == sample_entry());

  auto snapshot = as_json(encode(sample_snapshot()));
  snapshot["holds"][0]["expires_at_us"] = 99;
  snapshot["balances"][1]["pending"] = "12";
  auto decoded_snapshot = decode_account_snapshot(json_to_msgpack(snapshot));
  REQUIRE(decoded_snapshot);
  CHECK(*decoded_snapshot == sample_snapshot());

  // A non-string key is just another key the reader does not know.
  auto bytes = encode(bucket_balance{"banking/USD", 1, 2});
  bytes[0] = '\x84';
  bytes += "\x01\x02";
  CHECK(decode_bucket_balance(bytes));
}

TEST_CASE("a known key given twice and an unsorted snapshot are rejected") {
  auto bytes = encode(bucket_balance{"banking/USD", 1, 2});
  REQUIRE(bytes[0] == '\x83');
  bytes[0] = '\x84';
  bytes += "\xa4held\xa1" "0";
  check_bad_request(decode_bucket_balance(bytes), "bucket_balance.held appears twice");
  check_bad_request(msgpack_to_json(bytes), "msgpack value: a map repeats a key");

  auto snapshot = sample_snapshot();
  std::swap(snapshot.holds[0], snapshot.holds[1]);
  check_bad_request(decode_account_snapshot(encode(snapshot)), "account_snapshot.holds must be sorted with no repeats");
  snapshot = sample_snapshot();
  snapshot.balances[1].bucket = snapshot.balances[0].bucket;
  check_bad_request(decode_account_snapshot(encode(snapshot)),
                    "account_snapshot.balances must be sorted with no repeats");

  snapshot = sample_snapshot();
  snapshot.balances.clear();
  for (size_t index = 0; index <= limits::buckets_per_account_max; ++index)
    snapshot.balances.push_back({"b" + std::to_string(1'000 + index), 0, 0});
  check_bad_request(decode_account_snapshot(encode(snapshot)), "account_snapshot.balances has more than 256 items");
}

TEST_CASE("the JSON bridge refuses what JSON cannot hold") {
  check_bad_request(msgpack_to_json(std::string("\x81\x01\x02", 3)), "msgpack value: map keys must be strings");
  check_bad_request(msgpack_to_json(std::string("\xc4\x01\x00", 3)));  // bin
  check_bad_request(msgpack_to_json(std::string("\xd4\x01\x00", 3)));  // fixext 1
  check_bad_request(msgpack_to_json(std::string("\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00", 9)));  // NaN
  check_bad_request(msgpack_to_json(std::string("\xa2\xc3\x28", 3)), "msgpack value: a string is not valid UTF-8");
  check_bad_request(msgpack_to_json(std::string("\x81\xa1\xff\xc0", 4)), "msgpack value: a map key is not valid UTF-8");
  // Overlong '/', a UTF-16 surrogate, and a code point past U+10FFFF.
  for (const char* text : {"\xa2\xc0\xaf", "\xa3\xed\xa0\x80", "\xa4\xf4\x90\x80\x80"})
    check_bad_request(msgpack_to_json(text));
  CHECK(msgpack_to_json(json_to_msgpack(json("d\xc3\xa9j\xc3\xa0 \xe2\x82\xac \xf0\x9f\x92\xb0"))));

  auto balance = as_json(encode(bucket_balance{"banking/USD", 1, 2}));
  balance["bucket"] = "\xff";
  check_bad_request(decode_bucket_balance(json_to_msgpack(balance)), "bucket_balance.bucket must be valid UTF-8");
}
