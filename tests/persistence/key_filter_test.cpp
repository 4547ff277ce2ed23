// The Bloom filter over idempotency keys on its own: never a false "absent", few false
// "maybe" at the load it was sized for, and safe to probe while another thread inserts.
#include "persistence/key_filter.hpp"

#include <atomic>
#include <string>
#include <thread>

#include <doctest/doctest.h>

using namespace ledgerflow;

namespace {

// Shaped like the keys clients send: a UUID-ish string with a counter in it.
std::string key_number(size_t i) {
  return "7f3c2a10-" + std::to_string(i) + "-4b8e-9d21-c0ffee" + std::to_string(i % 97);
}

std::string other_key_number(size_t i) {
  return "idem-other-" + std::to_string(i * 7'919);
}

} // namespace

TEST_CASE("a key filter finds every key it was given, at and far past its capacity") {
  constexpr size_t keys = 100'000;
  for (size_t capacity : {keys, keys / 100}) {
    CAPTURE(capacity);
    key_filter filter(capacity);
    for (size_t i = 0; i < keys; ++i)
      filter.insert(key_number(i));
    CHECK(filter.key_count() == keys);
    size_t missed = 0;
    for (size_t i = 0; i < keys; ++i)
      missed += filter.may_contain(key_number(i)) ? 0 : 1;
    CHECK(missed == 0);
  }
}

TEST_CASE("a key filter at its design load wrongly says maybe for under 2% of other keys") {
  constexpr size_t keys = 100'000;
  key_filter filter(keys);
  for (size_t i = 0; i < keys; ++i)
    filter.insert(key_number(i));
  size_t false_positives = 0;
  for (size_t i = 0; i < keys; ++i)
    false_positives += filter.may_contain(other_key_number(i)) ? 1 : 0;
  auto rate = static_cast<double>(false_positives) / keys;
  INFO("false-positive rate " << rate);
  CHECK(rate < 0.02);
  CHECK(rate > 0.0);  // a filter answering "absent" to everything would pass the line above
}

TEST_CASE("an empty key filter says absent to every key") {
  key_filter filter(1'000);
  for (size_t i = 0; i < 1'000; ++i)
    CHECK_FALSE(filter.may_contain(key_number(i)));
}

TEST_CASE("a key filter takes 10 bits per key of capacity, in whole cache lines") {
  CHECK(key_filter(1'000'000).memory_bytes() == 1'250'048);  // 19,532 blocks of 64 bytes
  CHECK(key_filter(0).memory_bytes() == 64);
  CHECK(key_filter(0).capacity_keys() == 1);
}

TEST_CASE("a key filter probed while another thread inserts finds every key published to it") {
  constexpr size_t keys = 200'000;
  key_filter filter(keys);
  std::atomic<size_t> published{0};
  std::thread inserter([&] {
    for (size_t i = 0; i < keys; ++i) {
      filter.insert(key_number(i));
      published.store(i + 1, std::memory_order_release);
    }
  });
  size_t missed = 0;
  size_t probes = 0;
  for (size_t seen = 0; seen < keys;) {
    seen = published.load(std::memory_order_acquire);
    if (seen == 0)
      continue;
    missed += filter.may_contain(key_number(seen - 1)) ? 0 : 1;
    missed += filter.may_contain(key_number(probes % seen)) ? 0 : 1;
    ++probes;
  }
  inserter.join();
  CHECK(missed == 0);
  CHECK(probes > 0);
}
