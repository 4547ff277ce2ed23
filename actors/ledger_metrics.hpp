// Counters and histograms of the ledger, lock-free, rendered in Prometheus text format.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace ledgerflow {

// Cumulative histogram with fixed upper bounds (Prometheus "le" buckets).
class histogram {
public:
  static constexpr size_t bucket_count = 16;

  explicit histogram(std::array<double, bucket_count> upper_bounds) : upper_bounds_(upper_bounds) {}
  void observe(double value);
  // Quantile estimate from bucket bounds (upper bound of the bucket holding the rank).
  double quantile(double q) const;
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const;
  void render(std::string& out, const std::string& name, const std::string& help) const;
  // The samples only, with extra labels (`provider="x"`), after a HELP/TYPE written once.
  void render_series(std::string& out, const std::string& name, const std::string& labels) const;

private:
  std::array<double, bucket_count> upper_bounds_;
  std::array<std::atomic<uint64_t>, bucket_count + 1> counts_{};
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_micro_{0};  // sum scaled by 1e6 to stay integral
};

// The most recent samples of a series, for exact percentiles in benchmarks. One writer thread.
class sample_ring {
public:
  static constexpr size_t capacity = 1 << 16;
  void record(float value) {
    auto index = next_.fetch_add(1, std::memory_order_relaxed);
    samples_[index % capacity].store(value, std::memory_order_relaxed);
  }
  // Copies the samples held now (at most `capacity`, oldest overwritten).
  std::vector<float> snapshot() const;
  void reset() { next_.store(0, std::memory_order_relaxed); }

private:
  std::array<std::atomic<float>, capacity> samples_{};
  std::atomic<uint64_t> next_{0};
};

struct ledger_metrics {
  std::atomic<uint64_t> transfers_ok{0};
  std::atomic<uint64_t> transfers_failed{0};
  std::atomic<uint64_t> idempotent_replays{0};
  std::atomic<uint64_t> entries_written{0};
  std::atomic<uint64_t> batches_written{0};
  std::atomic<int64_t> accounts_active{0};
  std::atomic<uint64_t> accounts_spawned{0};
  std::atomic<uint64_t> accounts_passivated{0};
  std::atomic<int64_t> writer_queue_entries{0};
  histogram batch_entries{{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768}};
  histogram commit_ms{{0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096}};

  sample_ring recent_commit_ms;

  std::string render() const;
};

} // namespace ledgerflow
