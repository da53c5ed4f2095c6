// A console reporter that also keeps, per benchmark, the figure the results table is built from:
// the median real time over repetitions (the machine is shared and noisy; a median ignores the
// repetitions that another process disturbed), or the plain time when there was one repetition.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

namespace duet::bench {

struct Timing {
  double ns_per_iteration = 0;
  long repetitions = 1;
  bool is_median = false;
};

class MedianCollector : public benchmark::ConsoleReporter {
 public:
  using benchmark::ConsoleReporter::ConsoleReporter;

  void ReportRuns(const std::vector<Run>& runs) override;

  // Timing of a benchmark by its registered name, e.g. "duet/corpus"; empty if it did not run.
  std::optional<Timing> timing(const std::string& name) const;

 private:
  std::map<std::string, Timing> medians_;
  std::map<std::string, std::vector<double>> plain_;  // iteration runs, when no median was reported
};

}  // namespace duet::bench
