// parse_name_addr() with and without the URI, on one comma-separated value.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "duet/sip/name_addr.hpp"
#include "fuzz_check.hpp"
#include "view_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace duet::sip;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  NameAddr full, bare;
  const bool full_ok = parse_name_addr(in, full, true);
  const bool bare_ok = parse_name_addr(in, bare, false);
  if (full_ok) {
    duet::fuzz::check_name_addr(full, in, in);
    FUZZ_CHECK(full.star || full.uri_parsed);
    // Asking for the URI only adds a check: the split into parts is the same.
    FUZZ_CHECK(bare_ok);
    FUZZ_CHECK(bare.uri_text == full.uri_text && bare.params == full.params && bare.tag == full.tag &&
               bare.display_name == full.display_name && bare.angle_brackets == full.angle_brackets);
  }
  if (bare_ok) {
    duet::fuzz::check_name_addr(bare, in, in);
    FUZZ_CHECK(!bare.uri_parsed);
    // The URI part, when it parses on its own, is what parse_name_addr(want_uri) accepts.
    Uri u;
    if (!bare.star && parse_uri(bare.uri_text, u)) FUZZ_CHECK(full_ok);
  }
  return 0;
}
