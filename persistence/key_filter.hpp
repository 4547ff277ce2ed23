// A Bloom filter over idempotency keys: "certainly never added" or "maybe added". Both stores
// keep one (SQLite over its merged idempotency_index, PostgreSQL over its idempotency table), so
// the common lookup of a new key answers from memory instead of probing the B-tree or making a
// round trip to the server; a false "maybe" only costs that probe.
//
// Blocked: all hashes_per_key bits of a key fall in one 64-byte block (one cache line), so a
// probe costs one cache miss, not up to seven. The price is a little more false positives:
// measured ~1.1% at design load (capacity_keys keys), where an unblocked filter has ~0.8%.
//
// Thread-safety: the bits are atomic words, so insert() and may_contain() may run at once on
// any threads; a key inserted happens-before a probe that synchronises with the inserting
// thread afterwards (a mutex, a release/acquire pair). key_count() belongs to the inserter.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace ledgerflow {

class key_filter {
public:
  static constexpr size_t bits_per_key = 10;
  static constexpr size_t hashes_per_key = 7;
  static constexpr size_t block_bits = 512;

  // Sized for `capacity_keys` keys (at least 1); more still work, at a rising false-positive rate.
  explicit key_filter(size_t capacity_keys);

  // The hash every function below spreads: callers that look a key up in several places
  // (the journal's tail, then this filter) compute it once.
  static uint64_t hash_of(std::string_view key);

  void insert(std::string_view key) { insert_hash(hash_of(key)); }
  bool may_contain(std::string_view key) const { return may_contain_hash(hash_of(key)); }
  void insert_hash(uint64_t key_hash);
  bool may_contain_hash(uint64_t key_hash) const;

  size_t capacity_keys() const { return capacity_keys_; }
  // Keys inserted so far (a key inserted twice counts twice).
  size_t key_count() const { return key_count_; }
  size_t memory_bytes() const { return blocks_ * block_bits / 8; }

private:
  // Aligned so that a block is exactly one cache line.
  struct alignas(64) block {
    std::atomic<uint64_t> words[block_bits / 64]{};
  };
  // Where a key's bits are: a block, and a start and an odd step through its bits.
  struct spot {
    size_t block = 0;
    uint32_t start = 0;
    uint32_t step = 0;
  };
  spot spot_of(uint64_t key_hash) const;

  const size_t capacity_keys_;
  const size_t blocks_;
  std::unique_ptr<block[]> blocks_data_;
  size_t key_count_ = 0;
};

} // namespace ledgerflow
