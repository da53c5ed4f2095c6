// parse_cseq() and parse_uint32(). A CSeq that parses prints back to a CSeq that parses to the same
// value; a number parses exactly when it is LWS-wrapped decimal digits no larger than the maximum.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "duet/sip/method.hpp"
#include "duet/sip/values.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace duet::sip;

// The reference: digits only after trimming, value computed in 64 bits with an overflow stop.
bool ref_uint(std::string_view s, std::uint32_t max, std::uint32_t& out) {
  s = trim_lws(s);
  if (s.empty()) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
    if (v > max) return false;
  }
  out = static_cast<std::uint32_t>(v);
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  CSeq c;
  if (parse_cseq(in, c)) {
    FUZZ_INSIDE(c.method, in);
    FUZZ_CHECK(c.number < 0x80000000u);  // RFC 3261 §8.1.1.5
    FUZZ_CHECK(is_token(c.method));
    FUZZ_CHECK(c.method_id == method_from_token(c.method));
    const std::string printed = std::to_string(c.number) + " " + std::string(c.method);
    CSeq d;
    FUZZ_CHECK(parse_cseq(printed, d));
    FUZZ_CHECK(d.number == c.number && d.method == c.method && d.method_id == c.method_id);
  }
  for (std::uint32_t max : {0xFFFFFFFFu, 0x7FFFFFFFu, 255u, 0u}) {
    std::uint32_t got = 0, want = 0;
    const bool ok = parse_uint32(in, got, max);
    const bool ref = ref_uint(in, max, want);
    FUZZ_CHECK(ok == ref);
    if (ok) FUZZ_CHECK(got == want && got <= max);
  }
  return 0;
}
