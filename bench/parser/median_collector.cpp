#include "median_collector.hpp"

#include <algorithm>

namespace duet::bench {
namespace {

double to_ns(double value, benchmark::TimeUnit unit) {
  switch (unit) {
    case benchmark::kNanosecond:
      return value;
    case benchmark::kMicrosecond:
      return value * 1e3;
    case benchmark::kMillisecond:
      return value * 1e6;
    case benchmark::kSecond:
      return value * 1e9;
  }
  return value;
}

}  // namespace

void MedianCollector::ReportRuns(const std::vector<Run>& runs) {
  // With repetitions, show only the medians on the console: mean, stddev and cv for 28 benchmarks
  // would bury the table that follows.
  std::vector<Run> shown;
  const bool has_median = std::any_of(runs.begin(), runs.end(), [](const Run& r) {
    return r.run_type == Run::RT_Aggregate && r.aggregate_name == "median";
  });
  for (const Run& run : runs) {
    if (!has_median || run.error_occurred ||
        (run.run_type == Run::RT_Aggregate && run.aggregate_name == "median")) {
      shown.push_back(run);
    }
  }
  if (!shown.empty()) benchmark::ConsoleReporter::ReportRuns(shown);
  for (const Run& run : runs) {
    if (run.error_occurred) continue;
    const std::string& name = run.run_name.function_name;
    const double ns = to_ns(run.GetAdjustedRealTime(), run.time_unit);
    if (run.run_type == Run::RT_Aggregate) {
      if (run.aggregate_name == "median")
        medians_[name] = Timing{ns, static_cast<long>(run.repetitions), true};
    } else {
      plain_[name].push_back(ns);
    }
  }
}

std::optional<Timing> MedianCollector::timing(const std::string& name) const {
  if (auto it = medians_.find(name); it != medians_.end()) return it->second;
  auto it = plain_.find(name);
  if (it == plain_.end() || it->second.empty()) return std::nullopt;
  // Repetitions reported without aggregates: take their median ourselves.
  std::vector<double> v = it->second;
  std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
  return Timing{v[v.size() / 2], static_cast<long>(v.size()), v.size() > 1};
}

}  // namespace duet::bench
