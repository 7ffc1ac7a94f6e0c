#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qsanfwd::ops {

/// Label name and value pairs of one sample.
using labels = std::vector<std::pair<std::string, std::string>>;

/// Writes the Prometheus text exposition format (version 0.0.4): each family once with its
/// HELP and TYPE, then its samples. Label values are escaped (`\`, `"`, newline).
class prometheus_text {
 public:
  /// Starts a family; `type` is counter, gauge or histogram.
  void family(std::string_view name, std::string_view type, std::string_view help);
  /// One sample of the family just started (or, for histograms, of its _bucket/_sum/_count).
  void sample(std::string_view name, const labels& l, double value);
  /// The _bucket (cumulative, with +Inf), _sum and _count samples of a histogram whose
  /// `counts[i]` observations fell at or under `bounds[i]` and not under an earlier bound;
  /// `counts` has one more element than `bounds`: the observations above the last bound.
  void histogram(std::string_view name, const labels& l, std::span<const double> bounds,
                 std::span<const std::uint64_t> counts, double sum);

  const std::string& text() const { return out_; }

 private:
  std::string out_;
};

/// Request latencies in fixed buckets (seconds), for a histogram family.
class latency_histogram {
 public:
  static constexpr double bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

  void observe(double seconds);
  /// Adds what `other` observed (a sink's earlier lane, carried over a reload).
  latency_histogram& operator+=(const latency_histogram& other);
  std::span<const std::uint64_t> counts() const { return counts_; }
  double sum() const { return sum_; }

 private:
  std::uint64_t counts_[std::size(bounds) + 1] = {};
  double sum_ = 0;
};

}  // namespace qsanfwd::ops
