// A small metrics registry written out in the Prometheus text exposition format
// (version 0.0.4): counters, gauges and histograms with labels, plus collectors that
// compute values at scrape time. Debian ships no Prometheus client library for C++, and
// this is all the ledger needs. No HTTP here: services/metrics/http_exporter serves it.
//
// Thread-safety: every method may be called from any thread. Updates are lock-free
// atomics; creating a labelled child takes a mutex once per label set (callers keep the
// reference).
#ifndef SIXHEARTS_SERVICES_METRICS_REGISTRY_H_
#define SIXHEARTS_SERVICES_METRICS_REGISTRY_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace sixhearts::services::metrics {

using LabelValues = std::vector<std::string>;

class Counter {
 public:
  void Increment(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  // `upper_bounds` ascending; +Inf is implied.
  explicit Histogram(std::vector<double> upper_bounds);
  void Observe(double v);

  struct Snapshot {
    std::vector<double> upper_bounds;
    std::vector<uint64_t> cumulative_counts;  // one per bound, then +Inf
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot snapshot() const;

 private:
  const std::vector<double> upper_bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // per bucket, not cumulative; +Inf last
  std::atomic<double> sum_{0};
};

// Writes samples of one scrape; what collectors receive.
class TextWriter {
 public:
  // Starts a metric family: its # HELP and # TYPE lines.
  void Family(std::string_view name, std::string_view help, std::string_view type);
  // One sample line. `labels` are name/value pairs.
  void Sample(std::string_view name, const std::vector<std::pair<std::string, std::string>>& labels,
              double value);
  void Sample(std::string_view name, const std::vector<std::pair<std::string, std::string>>& labels,
              uint64_t value);
  std::string& text() { return text_; }

 private:
  void Labels(const std::vector<std::pair<std::string, std::string>>& labels);
  std::string text_;
};

class Registry {
 public:
  // A metric family whose children are told apart by label values, in the order of
  // `label_names`.
  template <typename M>
  class Family {
   public:
    // The child for `values` (created at zero on first use).
    M& With(const LabelValues& values);

   private:
    friend class Registry;
    std::string name_, help_;
    std::vector<std::string> label_names_;
    std::vector<double> bounds_;  // histograms only
    mutable absl::Mutex mu_;
    std::map<LabelValues, std::unique_ptr<M>> children_ ABSL_GUARDED_BY(mu_);
  };

  Family<Counter>& AddCounter(std::string name, std::string help,
                              std::vector<std::string> label_names = {});
  Family<Gauge>& AddGauge(std::string name, std::string help,
                          std::vector<std::string> label_names = {});
  Family<Histogram>& AddHistogram(std::string name, std::string help,
                                  std::vector<std::string> label_names,
                                  std::vector<double> upper_bounds);

  // Runs at each scrape, after the families, to write values computed then.
  using Collector = std::function<void(TextWriter&)>;
  void AddCollector(Collector collector);

  // The whole exposition: families in the order added, children by label values.
  std::string Render() const;

 private:
  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<Family<Counter>>> counters_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<Family<Gauge>>> gauges_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<Family<Histogram>>> histograms_ ABSL_GUARDED_BY(mu_);
  // Render order across the three kinds: (kind, index).
  std::vector<std::pair<int, size_t>> order_ ABSL_GUARDED_BY(mu_);
  std::vector<Collector> collectors_ ABSL_GUARDED_BY(mu_);
};

// Bucket bounds: `count` bounds from `start`, each `factor` times the previous.
std::vector<double> ExponentialBuckets(double start, double factor, int count);

}  // namespace sixhearts::services::metrics

#endif  // SIXHEARTS_SERVICES_METRICS_REGISTRY_H_
