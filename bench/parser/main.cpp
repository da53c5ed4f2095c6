// duet-parser-bench: times duet's parser side by side with libosip2, sofia-sip and a memchr floor,
// on each corpus message and on the whole corpus, then prints the ratio table and the targets.
//
//   duet-parser-bench [--corpus=DIR] [--strict] [Google Benchmark flags...]
//
// --strict makes a missed target exit with status 3 (the default is to report only: the machine is
// shared and a speed target is not a test). A parser that fails to parse a corpus message is a
// hard error (exit 1) before anything is timed.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "contender.hpp"
#include "corpus.hpp"
#include "median_collector.hpp"
#include "results_table.hpp"

namespace {

using duet::bench::BenchCase;
using duet::bench::Contender;
using duet::bench::CorpusMessage;

const Contender* const kContenders[] = {&duet::bench::kDuetContender, &duet::bench::kOsip2Contender,
                                        &duet::bench::kSofiaContender, &duet::bench::kFloorContender};

struct Options {
  std::string corpus_dir = DUET_BENCH_CORPUS_DIR;
  bool strict = false;
};

// Takes our own flags out of argv so Google Benchmark sees only its own.
Options take_own_flags(int& argc, char** argv) {
  Options opts;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.rfind("--corpus=", 0) == 0) {
      opts.corpus_dir = std::string(arg.substr(std::strlen("--corpus=")));
    } else if (arg == "--strict") {
      opts.strict = true;
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  return opts;
}

// Every parser must really parse every message before any timing means anything.
bool verify_all(const std::vector<CorpusMessage>& corpus) {
  bool ok = true;
  for (const Contender* c : kContenders) {
    for (const CorpusMessage& m : corpus) {
      const std::string why = c->verify(m);
      if (!why.empty()) {
        std::fprintf(stderr, "duet-parser-bench: %s did not parse %s: %s\n", c->label, m.name.c_str(),
                     why.c_str());
        ok = false;
      }
    }
  }
  return ok;
}

void register_case(const Contender* c, const BenchCase& bench_case, std::vector<std::string_view> batch) {
  const std::string name = std::string(c->name) + "/" + bench_case.name;
  const auto bytes = static_cast<std::int64_t>(bench_case.bytes);
  benchmark::RegisterBenchmark(name.c_str(), [c, batch = std::move(batch), bytes](benchmark::State& state) {
    for (auto _ : state) {
      for (std::string_view message : batch) c->parse(message);
    }
    state.SetBytesProcessed(state.iterations() * bytes);
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(batch.size()));
  })->Unit(benchmark::kNanosecond);
}

}  // namespace

int main(int argc, char** argv) {
  const Options opts = take_own_flags(argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;

  std::vector<CorpusMessage> corpus;
  try {
    corpus = duet::bench::load_corpus(opts.corpus_dir);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "duet-parser-bench: %s\n", e.what());
    return 1;
  }
  for (const Contender* c : kContenders) {
    if (c->init) c->init();
  }
  if (!verify_all(corpus)) {
    std::fprintf(stderr, "duet-parser-bench: aborted: timing a parser that fails would be meaningless\n");
    return 1;
  }

  // One case per message, then the whole corpus parsed in one iteration (the targets' case).
  std::vector<BenchCase> cases;
  std::vector<std::vector<std::string_view>> batches;
  std::vector<std::string_view> whole;
  std::size_t whole_bytes = 0;
  for (const CorpusMessage& m : corpus) {
    cases.push_back({m.name, m.bytes.size(), 1});
    batches.push_back({m.bytes});
    whole.push_back(m.bytes);
    whole_bytes += m.bytes.size();
  }
  cases.push_back({"corpus", whole_bytes, corpus.size()});
  batches.push_back(whole);
  for (std::size_t i = 0; i < cases.size(); ++i) {
    for (const Contender* c : kContenders) register_case(c, cases[i], batches[i]);
  }

  duet::bench::MedianCollector collector;
  benchmark::RunSpecifiedBenchmarks(&collector);
  const auto outcome = duet::bench::print_results(stdout, cases, collector);
  benchmark::Shutdown();
  return opts.strict && outcome.failed > 0 ? 3 : 0;
}
