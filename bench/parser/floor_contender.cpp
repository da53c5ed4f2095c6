// The floor: the least work any SIP parser must do, i.e. find where every line of the start line
// and header block ends and where every header name ends, with memchr and nothing else. The body is
// not scanned, since no parser under test scans it either (they locate it by Content-Length).
#include <benchmark/benchmark.h>

#include <cstring>
#include <string>

#include "contender.hpp"

namespace duet::bench {
namespace {

struct FloorScan {
  std::size_t lines = 0;     // start line + header lines, up to the blank line
  std::size_t colons = 0;    // header lines with a colon
  std::size_t checksum = 0;  // positions found, so the compiler cannot drop a memchr
  bool blank_line = false;   // the header block ended
};

FloorScan scan(std::string_view bytes) {
  FloorScan s;
  const char* p = bytes.data();
  const char* const end = p + bytes.size();
  while (p < end) {
    const auto* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    if (nl == nullptr) break;
    ++s.lines;
    s.checksum += static_cast<std::size_t>(nl - p);
    if (nl - p <= 1) {  // "\r\n" or "\n": the blank line ends the header block
      s.blank_line = true;
      break;
    }
    if (s.lines > 1) {  // every line but the start line is a header with a colon
      if (const void* colon = std::memchr(p, ':', static_cast<std::size_t>(nl - p))) {
        ++s.colons;
        s.checksum += static_cast<std::size_t>(static_cast<const char*>(colon) - p);
      }
    }
    p = nl + 1;
  }
  return s;
}

std::string floor_verify(const CorpusMessage& message) {
  const FloorScan s = scan(message.bytes);
  if (!s.blank_line) return "no blank line after the header block";
  if (s.colons + 2 != s.lines) return "a header line without a colon";
  return {};
}

void floor_parse(std::string_view bytes) {
  FloorScan s = scan(bytes);
  benchmark::DoNotOptimize(s);
}

}  // namespace

const Contender kFloorContender{"floor", "memchr floor (line ends + header colons)", nullptr, floor_verify,
                                floor_parse};

}  // namespace duet::bench
