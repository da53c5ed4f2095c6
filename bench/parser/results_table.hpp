// The report printed after the runs: per message and for the whole corpus, each parser's time per
// message, throughput and duet's ratios against its peers, then the targets, PASS or FAIL.
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>
#include <vector>

#include "median_collector.hpp"

namespace duet::bench {

// One timed case: a single message, or the whole corpus parsed in one iteration.
struct BenchCase {
  std::string name;  // "01_register", ..., "corpus"
  std::size_t bytes = 0;
  std::size_t messages = 1;
};

// Benchmarks are registered as "<parser>/<case>"; these are the parser names the table expects.
inline constexpr const char* kDuet = "duet";
inline constexpr const char* kOsip2 = "osip2";
inline constexpr const char* kSofia = "sofia";
inline constexpr const char* kFloor = "floor";

struct TargetOutcome {
  int passed = 0;
  int failed = 0;  // includes targets that could not be computed (a benchmark filtered out)
};

// Prints the tables to out and returns how many targets passed and failed. The last case is the
// whole corpus, which the targets apply to.
TargetOutcome print_results(std::FILE* out, const std::vector<BenchCase>& cases,
                            const MedianCollector& timings);

}  // namespace duet::bench
