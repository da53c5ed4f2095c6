#include "results_table.hpp"

#include <optional>

namespace duet::bench {
namespace {

const char* const kParsers[] = {kDuet, kOsip2, kSofia, kFloor};

std::optional<double> ns_per_iteration(const MedianCollector& timings, const char* parser,
                                       const BenchCase& c) {
  const auto t = timings.timing(std::string(parser) + "/" + c.name);
  if (!t || t->ns_per_iteration <= 0) return std::nullopt;
  return t->ns_per_iteration;
}

// "12.3 M" style: messages per second vary from thousands to tens of millions.
std::string human_rate(double per_second) {
  char buf[32];
  if (per_second >= 1e6) {
    std::snprintf(buf, sizeof buf, "%.2f M", per_second / 1e6);
  } else if (per_second >= 1e3) {
    std::snprintf(buf, sizeof buf, "%.1f k", per_second / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f  ", per_second);
  }
  return buf;
}

std::string ratio_text(std::optional<double> num, std::optional<double> den) {
  if (!num || !den) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2fx", *num / *den);
  return buf;
}

std::string case_title(const BenchCase& c) {
  return c.messages == 1 ? c.name : c.name + " (" + std::to_string(c.messages) + " msgs)";
}

void print_timings(std::FILE* out, const std::vector<BenchCase>& cases, const MedianCollector& timings) {
  std::fprintf(out, "%-22s %6s  %-6s %11s %10s %10s %8s\n", "message", "bytes", "parser", "ns/iter", "ns/msg",
               "msg/s", "GB/s");
  for (const BenchCase& c : cases) {
    bool first = true;
    for (const char* parser : kParsers) {
      const std::string title = first ? case_title(c) : "";
      const std::string bytes = first ? std::to_string(c.bytes) : "";
      first = false;
      const auto ns = ns_per_iteration(timings, parser, c);
      if (!ns) {
        std::fprintf(out, "%-22s %6s  %-6s %11s\n", title.c_str(), bytes.c_str(), parser, "not run");
        continue;
      }
      const double per_msg = *ns / static_cast<double>(c.messages);
      std::fprintf(out, "%-22s %6s  %-6s %11.1f %10.1f %10s %8.3f\n", title.c_str(), bytes.c_str(), parser,
                   *ns, per_msg, human_rate(1e9 / per_msg).c_str(), static_cast<double>(c.bytes) / *ns);
    }
  }
}

void print_ratios(std::FILE* out, const std::vector<BenchCase>& cases, const MedianCollector& timings) {
  std::fprintf(out, "%-22s %12s %12s %12s\n", "message", "osip2/duet", "sofia/duet", "duet/floor");
  for (const BenchCase& c : cases) {
    const auto duet = ns_per_iteration(timings, kDuet, c);
    std::fprintf(out, "%-22s %12s %12s %12s\n", case_title(c).c_str(),
                 ratio_text(ns_per_iteration(timings, kOsip2, c), duet).c_str(),
                 ratio_text(ns_per_iteration(timings, kSofia, c), duet).c_str(),
                 ratio_text(duet, ns_per_iteration(timings, kFloor, c)).c_str());
  }
}

struct Target {
  const char* peer;
  bool duet_is_numerator;  // duet/floor (at most) rather than peer/duet (at least)
  double bound;
  const char* sentence;  // printf format taking the ratio
  const char* goal;
};

const Target kTargets[] = {
    {kOsip2, false, 20.0, "duet is %.1fx faster than libosip2", "target >= 20x"},
    {kSofia, false, 10.0, "duet is %.1fx faster than sofia-sip", "target >= 10x"},
    {kFloor, true, 3.0, "duet takes %.2fx the memchr floor", "target <= 3x"},
};

}  // namespace

TargetOutcome print_results(std::FILE* out, const std::vector<BenchCase>& cases,
                            const MedianCollector& timings) {
  TargetOutcome outcome;
  if (cases.empty()) return outcome;
  const BenchCase& corpus = cases.back();
  const auto sample = timings.timing(std::string(kDuet) + "/" + corpus.name);

  std::fprintf(out, "\n== duet parser benchmark: real time, %s ==\n\n",
               sample && sample->is_median
                   ? ("median of " + std::to_string(sample->repetitions) + " repetitions").c_str()
                   : "single repetition (use --benchmark_repetitions for medians)");
  print_timings(out, cases, timings);
  std::fprintf(out, "\n");
  print_ratios(out, cases, timings);

  std::fprintf(out, "\nTargets (%s):\n", case_title(corpus).c_str());
  const auto duet = ns_per_iteration(timings, kDuet, corpus);
  for (const Target& t : kTargets) {
    const auto peer = ns_per_iteration(timings, t.peer, corpus);
    char sentence[96];
    if (!duet || !peer) {
      std::snprintf(sentence, sizeof sentence, "duet vs %s: not run", t.peer);
      std::fprintf(out, "  %-42s %-14s FAIL\n", sentence, t.goal);
      ++outcome.failed;
      continue;
    }
    const double ratio = t.duet_is_numerator ? *duet / *peer : *peer / *duet;
    const bool pass = t.duet_is_numerator ? ratio <= t.bound : ratio >= t.bound;
    std::snprintf(sentence, sizeof sentence, t.sentence, ratio);
    std::fprintf(out, "  %-42s %-14s %s\n", sentence, t.goal, pass ? "PASS" : "FAIL");
    ++(pass ? outcome.passed : outcome.failed);
  }
  // Not worded "N passed, N failed": CI log readers take that line for a test runner's summary.
  std::fprintf(out, "targets met: %d of %d\n", outcome.passed, outcome.passed + outcome.failed);
  return outcome;
}

}  // namespace duet::bench
