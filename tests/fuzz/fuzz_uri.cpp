// parse_uri() and uri_equal(). An input with a newline holds two URIs, to test that equality is
// symmetric; each URI must also equal itself and a copy of itself with its host upper-cased.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "duet/sip/uri.hpp"
#include "fuzz_check.hpp"
#include "view_checks.hpp"

namespace {

using namespace duet::sip;

bool parse_checked(std::string_view text, Uri& u) {
  if (!parse_uri(text, u)) return false;
  duet::fuzz::check_uri(u, text, text);
  return true;
}

void host_case(const Uri& u, std::string_view text) {
  if (u.scheme != UriScheme::sip && u.scheme != UriScheme::sips) return;
  std::string upper(text);
  const std::size_t at = static_cast<std::size_t>(u.host.data() - text.data());
  for (std::size_t i = at; i < at + u.host.size(); ++i) {
    upper[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(upper[i])));
  }
  Uri v;
  // RFC 3261 §19.1.4: hosts compare case-insensitively.
  FUZZ_CHECK(parse_checked(upper, v));
  FUZZ_CHECK(v.host_kind == u.host_kind);
  if (duet::fuzz::equality_checkable(u)) FUZZ_CHECK(uri_equal(u, v) && uri_equal(v, u));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::size_t nl = in.find('\n');
  const std::string_view a_text = in.substr(0, nl);
  Uri a, b;
  const bool a_ok = parse_checked(a_text, a);
  if (a_ok) host_case(a, a_text);
  if (nl == std::string_view::npos) return 0;
  const std::string_view b_text = in.substr(nl + 1);
  const bool b_ok = parse_checked(b_text, b);
  if (b_ok) host_case(b, b_text);
  if (a_ok && b_ok && duet::fuzz::equality_checkable(a) && duet::fuzz::equality_checkable(b)) {
    FUZZ_CHECK(uri_equal(a, b) == uri_equal(b, a));
    if (a_text == b_text) FUZZ_CHECK(uri_equal(a, b));
  }
  return 0;
}
