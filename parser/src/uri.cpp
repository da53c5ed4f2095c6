// SIP/SIPS/tel URI parsing into views (RFC 3261 §19.1.1, §25.1; RFC 3966).
#include "duet/sip/uri.hpp"

#include <cstring>

#include "chars.hpp"
#include "duet/sip/params.hpp"
#include "duet/sip/values.hpp"
#include "uri_parse.hpp"

namespace duet::sip {
namespace uri_detail {

namespace {

bool parse_tel(std::string_view rest, Uri& u) noexcept {
  // telephone-subscriber: global-number ("+" digits) or local-number, visual separators - . ( ).
  const auto semi = rest.find(';');
  u.user = rest.substr(0, semi);
  u.has_user = !u.user.empty();
  if (u.user.empty()) return false;
  std::size_t i = u.user[0] == '+' ? 1 : 0;
  bool any = false;
  for (; i < u.user.size(); ++i) {
    const char c = u.user[i];
    if (chars::hex(c) || c == '*' || c == '#') {
      any = true;
    } else if (c != '-' && c != '.' && c != '(' && c != ')') {
      return false;
    }
  }
  if (!any) return false;
  if (semi != std::string_view::npos) u.params = rest.substr(semi);
  return pick_uri_params(u.params, u);
}

}  // namespace

bool parse_uri_other(std::string_view text, Uri& u) noexcept {
  std::size_t i = 0;
  if (text.empty() || !chars::is(text[0], chars::kAlpha)) return false;
  while (i < text.size() && (chars::is(text[i], chars::kAlpha | chars::kDigit) || text[i] == '+' ||
                             text[i] == '-' || text[i] == '.'))
    ++i;
  if (i >= text.size() || text[i] != ':') return false;
  u.scheme_text = text.substr(0, i);
  const auto rest = text.substr(i + 1);
  u.opaque = rest;
  if (rest.empty()) return false;
  // sip, sips and tel validate every component's characters as they parse it.
  const char* const s = text.data();
  if ((i == 3 && chars::lit_iequals(s, "sip")) || (i == 4 && chars::lit_iequals(s, "sips"))) {
    u.scheme = i == 3 ? UriScheme::sip : UriScheme::sips;
    return parse_sip(rest, u);
  }
  if (i == 3 && chars::lit_iequals(s, "tel")) {
    u.scheme = UriScheme::tel;
    return parse_tel(rest, u);
  }
  u.scheme = UriScheme::other;
  for (char c : rest) {
    const auto uc = static_cast<unsigned char>(c);
    if (uc <= 0x20 || uc == 0x7F || c == '<' || c == '>' || c == '"') return false;
  }
  return true;
}

}  // namespace uri_detail

std::uint16_t Uri::port_or_default() const noexcept {
  if (has_port) return port;
  if (scheme == UriScheme::sips || iequals(transport, "tls")) return 5061;
  return 5060;
}

bool parse_uri(std::string_view text, Uri& u) noexcept {
  reset_in_place(u);
  return uri_detail::parse_uri_fast(text, u);
}

}  // namespace duet::sip
