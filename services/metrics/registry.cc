// The registry and the text exposition format
// (https://prometheus.io/docs/instrumenting/exposition_formats/).
#include "services/metrics/registry.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace sixhearts::services::metrics {

namespace {

// Integers as integers (exact counts a person can check), others in the shortest form
// that reads back to the same double.
std::string FormatValue(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  if (v == std::floor(v) && std::fabs(v) < 9.007199254740992e15) {
    return absl::StrCat(static_cast<int64_t>(v));
  }
  char buffer[64];
  const auto end = std::to_chars(buffer, buffer + sizeof(buffer), v).ptr;  // shortest round trip
  return std::string(buffer, end);
}

// Bounds as written by people: 0.005, 2.5, 1000.
std::string FormatBound(double v) { return absl::StrFormat("%g", v); }

void EscapeLabelValue(std::string_view value, std::string& out) {
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

std::vector<std::pair<std::string, std::string>> Zip(const std::vector<std::string>& names,
                                                     const LabelValues& values) {
  std::vector<std::pair<std::string, std::string>> labels;
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
    labels.emplace_back(names[i], values[i]);
  }
  return labels;
}

void AddDouble(std::atomic<double>& target, double v) {
  double old = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(old, old + v, std::memory_order_relaxed)) {
  }
}

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)),
      counts_(new std::atomic<uint64_t>[upper_bounds_.size() + 1]) {
  for (size_t i = 0; i <= upper_bounds_.size(); ++i) counts_[i].store(0);
}

void Histogram::Observe(double v) {
  // Bucket i counts v <= upper_bounds_[i] (and above the previous bound).
  const size_t i =
      std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), v) - upper_bounds_.begin();
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  AddDouble(sum_, v);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.upper_bounds = upper_bounds_;
  uint64_t running = 0;
  for (size_t i = 0; i <= upper_bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    s.cumulative_counts.push_back(running);
  }
  s.count = running;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

void TextWriter::Family(std::string_view name, std::string_view help, std::string_view type) {
  // std::string's own appends: Debian's absl::StrAppend does not take std::string_view.
  ((((text_ += "# HELP ") += name) += ' ') += help) += '\n';
  ((((text_ += "# TYPE ") += name) += ' ') += type) += '\n';
}

void TextWriter::Labels(const std::vector<std::pair<std::string, std::string>>& labels) {
  if (labels.empty()) return;
  text_ += '{';
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) text_ += ',';
    text_ += labels[i].first;
    text_ += "=\"";
    EscapeLabelValue(labels[i].second, text_);
    text_ += '"';
  }
  text_ += '}';
}

void TextWriter::Sample(std::string_view name,
                        const std::vector<std::pair<std::string, std::string>>& labels,
                        double value) {
  text_ += name;
  Labels(labels);
  absl::StrAppend(&text_, " ", FormatValue(value), "\n");
}

void TextWriter::Sample(std::string_view name,
                        const std::vector<std::pair<std::string, std::string>>& labels,
                        uint64_t value) {
  text_ += name;
  Labels(labels);
  absl::StrAppend(&text_, " ", value, "\n");
}

template <typename M>
M& Registry::Family<M>::With(const LabelValues& values) {
  absl::MutexLock lock(&mu_);
  auto& child = children_[values];
  if (child == nullptr) {
    if constexpr (std::is_same_v<M, Histogram>) {
      child = std::make_unique<Histogram>(bounds_);
    } else {
      child = std::make_unique<M>();
    }
  }
  return *child;
}

template class Registry::Family<Counter>;
template class Registry::Family<Gauge>;
template class Registry::Family<Histogram>;

Registry::Family<Counter>& Registry::AddCounter(std::string name, std::string help,
                                                std::vector<std::string> label_names) {
  absl::MutexLock lock(&mu_);
  auto family = std::make_unique<Family<Counter>>();
  family->name_ = std::move(name);
  family->help_ = std::move(help);
  family->label_names_ = std::move(label_names);
  counters_.push_back(std::move(family));
  order_.emplace_back(0, counters_.size() - 1);
  return *counters_.back();
}

Registry::Family<Gauge>& Registry::AddGauge(std::string name, std::string help,
                                            std::vector<std::string> label_names) {
  absl::MutexLock lock(&mu_);
  auto family = std::make_unique<Family<Gauge>>();
  family->name_ = std::move(name);
  family->help_ = std::move(help);
  family->label_names_ = std::move(label_names);
  gauges_.push_back(std::move(family));
  order_.emplace_back(1, gauges_.size() - 1);
  return *gauges_.back();
}

Registry::Family<Histogram>& Registry::AddHistogram(std::string name, std::string help,
                                                    std::vector<std::string> label_names,
                                                    std::vector<double> upper_bounds) {
  absl::MutexLock lock(&mu_);
  auto family = std::make_unique<Family<Histogram>>();
  family->name_ = std::move(name);
  family->help_ = std::move(help);
  family->label_names_ = std::move(label_names);
  family->bounds_ = std::move(upper_bounds);
  histograms_.push_back(std::move(family));
  order_.emplace_back(2, histograms_.size() - 1);
  return *histograms_.back();
}

void Registry::AddCollector(Collector collector) {
  absl::MutexLock lock(&mu_);
  collectors_.push_back(std::move(collector));
}

std::string Registry::Render() const {
  TextWriter out;
  absl::MutexLock lock(&mu_);
  for (const auto& [kind, index] : order_) {
    if (kind == 0) {
      const auto& f = *counters_[index];
      out.Family(f.name_, f.help_, "counter");
      absl::MutexLock family_lock(&f.mu_);
      for (const auto& [values, child] : f.children_) {
        out.Sample(f.name_, Zip(f.label_names_, values), child->value());
      }
    } else if (kind == 1) {
      const auto& f = *gauges_[index];
      out.Family(f.name_, f.help_, "gauge");
      absl::MutexLock family_lock(&f.mu_);
      for (const auto& [values, child] : f.children_) {
        out.Sample(f.name_, Zip(f.label_names_, values), child->value());
      }
    } else {
      const auto& f = *histograms_[index];
      out.Family(f.name_, f.help_, "histogram");
      absl::MutexLock family_lock(&f.mu_);
      for (const auto& [values, child] : f.children_) {
        const auto labels = Zip(f.label_names_, values);
        const Histogram::Snapshot s = child->snapshot();
        for (size_t i = 0; i < s.cumulative_counts.size(); ++i) {
          auto with_le = labels;
          with_le.emplace_back("le", i < s.upper_bounds.size() ? FormatBound(s.upper_bounds[i])
                                                               : std::string("+Inf"));
          out.Sample(f.name_ + "_bucket", with_le, s.cumulative_counts[i]);
        }
        out.Sample(f.name_ + "_sum", labels, s.sum);
        out.Sample(f.name_ + "_count", labels, s.count);
      }
    }
  }
  for (const auto& collector : collectors_) collector(out);
  return std::move(out.text());
}

std::vector<double> ExponentialBuckets(double start, double factor, int count) {
  std::vector<double> bounds;
  double v = start;
  for (int i = 0; i < count; ++i) {
    bounds.push_back(v);
    v *= factor;
  }
  return bounds;
}

}  // namespace sixhearts::services::metrics
