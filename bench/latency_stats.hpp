// Percentiles of latency samples, for benchmark reports.
#pragma once

#include <algorithm>
#include <vector>

namespace ledgerflow {

// The q-quantile (0..1) by nearest rank; 0 for no samples. Sorts the samples.
template <class T>
double percentile(std::vector<T>& samples, double q) {
  if (samples.empty())
    return 0;
  std::sort(samples.begin(), samples.end());
  auto rank = static_cast<size_t>(q * static_cast<double>(samples.size() - 1) + 0.5);
  return static_cast<double>(samples[std::min(rank, samples.size() - 1)]);
}

} // namespace ledgerflow
