// parse_via() over one via-parm.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "duet/sip/via.hpp"
#include "fuzz_check.hpp"
#include "view_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace duet::sip;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  Via v;
  const bool ok = parse_via(in, v);
  if (!ok) return 0;
  duet::fuzz::check_via(v, in, in);
  // Deterministic, and independent of what the struct held before.
  Via again;
  again.host = "stale";
  again.has_rport = true;
  FUZZ_CHECK(parse_via(in, again));
  FUZZ_CHECK(again.host == v.host && again.port == v.port && again.branch == v.branch &&
             again.has_rport == v.has_rport && again.rport == v.rport && again.transport == v.transport);
  return 0;
}
