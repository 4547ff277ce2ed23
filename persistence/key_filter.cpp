#include "persistence/key_filter.hpp"

#include <algorithm>
#include <functional>

namespace ledgerflow {

namespace {

static_assert(sizeof(std::size_t) == 8, "the filter spreads a 64-bit hash");
static_assert(key_filter::block_bits == 512, "a block is one 64-byte cache line");

// The block index is a 32-bit fraction of the block count (no division), so it reaches 2^32
// blocks: 256 GiB, far past any sane capacity.
constexpr uint64_t blocks_max = uint64_t{1} << 32;

// splitmix64's finaliser: every bit of the result depends on every bit of the hash, so the
// block (high half) and the bits inside it (low half) are independent even when the library's
// string hash mixes weakly.
uint64_t mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9u;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebu;
  x ^= x >> 31;
  return x;
}

size_t blocks_for(size_t capacity_keys) {
  auto bits = std::max<uint64_t>(capacity_keys, 1) * key_filter::bits_per_key;
  return static_cast<size_t>(std::min(blocks_max, (bits + key_filter::block_bits - 1) / key_filter::block_bits));
}

} // namespace

key_filter::key_filter(size_t capacity_keys)
  : capacity_keys_(std::max<size_t>(capacity_keys, 1)),
    blocks_(blocks_for(capacity_keys)),
    blocks_data_(std::make_unique<block[]>(blocks_)) {}

uint64_t key_filter::hash_of(std::string_view key) {
  return std::hash<std::string_view>{}(key);
}

// Double hashing inside the block: start + i * step for i < hashes_per_key. An odd step
// modulo 512 never repeats a bit within 512 steps, so a key sets exactly hashes_per_key bits.
key_filter::spot key_filter::spot_of(uint64_t key_hash) const {
  uint64_t hash = mix(key_hash);
  spot result;
  result.block = static_cast<size_t>(((hash >> 32) * blocks_) >> 32);
  result.start = static_cast<uint32_t>(hash % block_bits);
  result.step = static_cast<uint32_t>((hash / block_bits) % block_bits) | 1u;
  return result;
}

void key_filter::insert_hash(uint64_t key_hash) {
  auto where = spot_of(key_hash);
  auto& words = blocks_data_[where.block].words;
  for (uint32_t i = 0; i < hashes_per_key; ++i) {
    uint32_t bit = (where.start + i * where.step) % block_bits;
    words[bit / 64].fetch_or(uint64_t{1} << (bit % 64), std::memory_order_relaxed);
  }
  ++key_count_;
}

bool key_filter::may_contain_hash(uint64_t key_hash) const {
  auto where = spot_of(key_hash);
  const auto& words = blocks_data_[where.block].words;
  for (uint32_t i = 0; i < hashes_per_key; ++i) {
    uint32_t bit = (where.start + i * where.step) % block_bits;
    if ((words[bit / 64].load(std::memory_order_relaxed) & (uint64_t{1} << (bit % 64))) == 0)
      return false;
  }
  return true;
}

} // namespace ledgerflow
