// ValueSplitter, trim_lws and token_list_contains. For a value without quotes or angle brackets the
// split must equal a plain comma split with the pieces trimmed and empty ones dropped.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "duet/sip/values.hpp"
#include "fuzz_check.hpp"
#include "view_checks.hpp"

namespace {

using namespace duet::sip;

std::string_view trim_ref(std::string_view s) {
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> got;
  duet::fuzz::split_and_check(in, in, [&](std::string_view e) { got.push_back(e); });
  ValueSplitter probe(in);
  std::string_view tmp;
  while (probe.next(tmp)) {
  }
  const bool balanced = probe.ok();

  const std::string_view t = trim_lws(in);
  FUZZ_INSIDE(t, in);
  FUZZ_CHECK(t == trim_ref(in));

  if (in.find_first_of("\"<>") == std::string_view::npos) {
    FUZZ_CHECK(balanced);
    std::vector<std::string_view> want;
    std::size_t start = 0;
    while (start <= in.size()) {
      const std::size_t comma = in.find(',', start);
      const std::string_view piece =
          trim_ref(in.substr(start, comma == std::string_view::npos ? in.npos : comma - start));
      if (!piece.empty()) want.push_back(piece);
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    FUZZ_CHECK(got == want);
  }
  if (balanced) {
    for (std::string_view e : got) {
      if (is_token(e)) FUZZ_CHECK(token_list_contains(in, e));
    }
  }
  for (std::string_view e : got) FUZZ_CHECK(iequals(e, e));
  return 0;
}
