// A parser under test: how to check once that it really parses a message, and the work to time.
#pragma once

#include <string>
#include <string_view>

#include "corpus.hpp"

namespace duet::bench {

struct Contender {
  const char* name;   // short, used in benchmark names and the table: "duet", "osip2", ...
  const char* label;  // for people: "libosip2 5.3"
  // One-time library setup (may be null).
  void (*init)();
  // Parses the message once, outside any timing. Returns why the result is not a complete parse,
  // or an empty string when it is: a parser that silently fails would otherwise look fast.
  std::string (*verify)(const CorpusMessage& message);
  // The timed work for one message: parse it and release whatever the parse allocated.
  void (*parse)(std::string_view bytes);
};

extern const Contender kDuetContender;
extern const Contender kOsip2Contender;
extern const Contender kSofiaContender;
extern const Contender kFloorContender;

}  // namespace duet::bench
