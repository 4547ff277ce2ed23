#include "protocols/snapshot_codec.hpp"

#include <string>

#include <doctest/doctest.h>

using namespace ledgerflow;

namespace {

account_snapshot sample_snapshot() {
  account_snapshot snapshot;
  snapshot.account = "user:alice";
  snapshot.seq = 42;
  snapshot.balances = {{"banking/USD", 1'250, 500}, {"investing/ETH", minor_units_max, minor_units_min}};
  snapshot.holds = {{"h1", "banking/USD", 500}, {"h2", "investing/ETH", static_cast<minor_units>(1) << 100}};
  return snapshot;
}

std::string encoded(const account_snapshot& snapshot) {
  auto text = encode_snapshot(snapshot);
  REQUIRE(text);
  return *text;
}

void check_rejected(const std::string& text) {
  CAPTURE(text);
  auto decoded = decode_snapshot(text);
  REQUIRE_FALSE(decoded);
  CHECK(decoded.error().code == error_code::internal);
  CHECK(decoded.error().message.rfind("snapshot: ", 0) == 0);
}

} // namespace

TEST_CASE("a snapshot round-trips through its JSON text, 128-bit amounts included") {
  auto snapshot = sample_snapshot();
  auto decoded = decode_snapshot(encoded(snapshot));
  REQUIRE(decoded);
  CHECK(*decoded == snapshot);

  account_snapshot empty;
  empty.account = "system:fees";
  auto decoded_empty = decode_snapshot(encoded(empty));
  REQUIRE(decoded_empty);
  CHECK(*decoded_empty == empty);
}

TEST_CASE("snapshot text is compact JSON with amounts as decimal minor-unit strings") {
  account_snapshot snapshot;
  snapshot.account = "user:bob";
  snapshot.seq = 7;
  snapshot.balances = {{"banking/USD", -5, 0}};
  snapshot.holds = {{"h1", "banking/USD", 3}};
  CHECK(encoded(snapshot)
        == R"({"account":"user:bob","balances":[{"available":"-5","bucket":"banking/USD","held":"0"}],)"
           R"("holds":[{"amount":"3","bucket":"banking/USD","hold_id":"h1"}],"seq":7})");
}

TEST_CASE("malformed snapshot text is an error value, never an exception") {
  auto good = encoded(sample_snapshot());
  for (const std::string& text : {std::string(""), std::string("null"), std::string("[]"), good.substr(0, good.size() - 1),
                                 std::string(R"({"account":"user:a","seq":1,"balances":[]})"),
                                 std::string(R"({"account":"","seq":1,"balances":[],"holds":[]})"),
                                 std::string(R"({"account":"user:a","seq":-1,"balances":[],"holds":[]})"),
                                 std::string(R"({"account":"user:a","seq":1.5,"balances":[],"holds":[]})"),
                                 std::string(R"({"account":"user:a","seq":"1","balances":[],"holds":[]})"),
                                 std::string(R"({"account":7,"seq":1,"balances":[],"holds":[]})"),
                                 std::string(R"({"account":"user:a","seq":1,"balances":{},"holds":[]})")})
    check_rejected(text);
}

TEST_CASE("a snapshot with a malformed balance or hold is rejected") {
  const std::string head = R"({"account":"user:a","seq":1,)";
  check_rejected(head + R"("balances":[{"bucket":"banking/USD","available":1250,"held":"0"}],"holds":[]})");
  check_rejected(head + R"("balances":[{"bucket":"banking/USD","available":"12.50","held":"0"}],"holds":[]})");
  check_rejected(head + R"("balances":[{"bucket":"banking/USD","available":"1"}],"holds":[]})");
  check_rejected(head + R"("balances":[{"available":"1","held":"0"}],"holds":[]})");
  check_rejected(head + R"("balances":[{"bucket":"banking/USD","available":"170141183460469231731687303715884105728","held":"0"}],"holds":[]})");
  check_rejected(head + R"("balances":[7],"holds":[]})");
  check_rejected(head + R"("balances":[],"holds":[{"hold_id":"h1","bucket":"banking/USD"}]})");
  check_rejected(head + R"("balances":[],"holds":[{"hold_id":"","bucket":"banking/USD","amount":"1"}]})");
  check_rejected(head + R"("balances":[],"holds":[{"bucket":"banking/USD","amount":"1"}]})");
}

TEST_CASE("a snapshot whose balances or holds are unsorted or repeated is rejected") {
  const std::string head = R"({"account":"user:a","seq":1,)";
  const std::string usd = R"({"bucket":"banking/USD","available":"1","held":"0"})";
  const std::string btc = R"({"bucket":"investing/BTC","available":"1","held":"0"})";
  check_rejected(head + R"("balances":[)" + btc + "," + usd + R"(],"holds":[]})");
  check_rejected(head + R"("balances":[)" + usd + "," + usd + R"(],"holds":[]})");
  const std::string hold = R"({"hold_id":"h1","bucket":"banking/USD","amount":"1"})";
  check_rejected(head + R"("balances":[],"holds":[)" + hold + "," + hold + "]}");
  auto sorted = decode_snapshot(head + R"("balances":[)" + usd + "," + btc + R"(],"holds":[]})");
  CHECK(sorted);
}

TEST_CASE("unknown members in snapshot text are ignored, so a newer writer stays readable") {
  auto decoded = decode_snapshot(R"({"account":"user:a","seq":3,"balances":[],"holds":[],"version":2})");
  REQUIRE(decoded);
  CHECK(decoded->seq == 3);
}

TEST_CASE("a snapshot with an id that is not UTF-8 cannot be encoded, and says so") {
  auto snapshot = sample_snapshot();
  snapshot.holds[0].hold_id = "h\xFF";
  auto text = encode_snapshot(snapshot);
  REQUIRE_FALSE(text);
  CHECK(text.error().code == error_code::internal);
}
