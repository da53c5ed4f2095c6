// SIP/SIPS/tel URI parsing into views (RFC 3261 §19.1.1, §25.1; RFC 3966).
#include "duet/sip/uri.hpp"

#include "chars.hpp"
#include "duet/sip/params.hpp"
#include "duet/sip/values.hpp"

namespace duet::sip {
namespace {

bool scheme_is(std::string_view s, std::string_view lower) noexcept {
  return iequals(s, lower);
}

// uri-parameters: each ";pname[=pvalue]" with paramchar = param-unreserved / unreserved / escaped.
bool pick_uri_params(std::string_view params, Uri& u) noexcept {
  for (std::size_t i = 0; i < params.size(); ++i) {
    const char c = params[i];
    if (c == ';' || c == '=' || chars::is(c, chars::kUnreserved | chars::kParamExtra)) continue;
    if (c == '%' && i + 2 < params.size() && chars::hex(params[i + 1]) && chars::hex(params[i + 2])) {
      i += 2;
      continue;
    }
    return false;
  }
  ParamIterator it(params);
  Param p;
  while (it.next(p)) {
    if (p.quoted) return false;
    switch (p.name.size()) {
      case 2:
        if (iequals(p.name, "lr")) u.lr = true;
        if (iequals(p.name, "ob")) u.ob = true;
        break;
      case 3:
        if (iequals(p.name, "ttl")) u.ttl = p.value;
        break;
      case 4:
        if (iequals(p.name, "user")) u.user_param = p.value;
        break;
      case 5:
        if (iequals(p.name, "maddr")) u.maddr = p.value;
        break;
      case 6:
        if (iequals(p.name, "method")) u.method = p.value;
        break;
      case 9:
        if (iequals(p.name, "transport")) u.transport = p.value;
        break;
      default:
        break;
    }
  }
  return it.ok();
}

bool parse_sip(std::string_view rest, Uri& u) noexcept {
  // userinfo: everything up to the first '@' (user may contain ';' '?' '/', so '@' decides).
  const auto at = rest.find('@');
  std::string_view hostpart = rest;
  if (at != std::string_view::npos) {
    const auto userinfo = rest.substr(0, at);
    hostpart = rest.substr(at + 1);
    const auto colon = userinfo.find(':');
    u.user = userinfo.substr(0, colon);
    if (colon != std::string_view::npos) {
      u.password = userinfo.substr(colon + 1);
      if (!chars::all_of(u.password, chars::kUnreserved | chars::kPasswordExtra, true)) return false;
    }
    if (u.user.empty() || !chars::all_of(u.user, chars::kUnreserved | chars::kUserExtra, true)) return false;
    u.has_user = true;
  }
  // hostport
  std::size_t i = 0;
  if (!hostpart.empty() && hostpart[0] == '[') {
    const auto close = hostpart.find(']');
    if (close == std::string_view::npos) return false;
    i = close + 1;
  } else {
    while (i < hostpart.size() && hostpart[i] != ':' && hostpart[i] != ';' && hostpart[i] != '?') ++i;
  }
  u.host = hostpart.substr(0, i);
  u.host_kind = classify_host(u.host);
  if (u.host_kind == HostKind::none) return false;
  if (i < hostpart.size() && hostpart[i] == ':') {
    const std::size_t b = ++i;
    std::uint32_t port = 0;
    while (i < hostpart.size() && chars::digit(hostpart[i])) {
      port = port * 10 + static_cast<unsigned>(hostpart[i] - '0');
      if (port > 65535) return false;
      ++i;
    }
    if (i == b) return false;
    u.port = static_cast<std::uint16_t>(port);
    u.has_port = true;
  }
  const auto tail = hostpart.substr(i);
  const auto q = tail.find('?');
  u.params = tail.substr(0, q);
  if (!u.params.empty() && u.params[0] != ';') return false;
  if (q != std::string_view::npos) {
    u.headers = tail.substr(q + 1);
    if (u.headers.empty()) return false;
    for (std::size_t k = 0; k < u.headers.size(); ++k) {
      const char c = u.headers[k];
      if (c == '&' || c == '=' || chars::is(c, chars::kUnreserved | chars::kHnvExtra)) continue;
      if (c == '%' && k + 2 < u.headers.size() && chars::hex(u.headers[k + 1]) &&
          chars::hex(u.headers[k + 2])) {
        k += 2;
        continue;
      }
      return false;
    }
  }
  return pick_uri_params(u.params, u);
}

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

std::uint16_t Uri::port_or_default() const noexcept {
  if (has_port) return port;
  if (scheme == UriScheme::sips || iequals(transport, "tls")) return 5061;
  return 5060;
}

bool parse_uri(std::string_view text, Uri& u) noexcept {
  reset_in_place(u);
  u.text = text;
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
  if (scheme_is(u.scheme_text, "sip")) {
    u.scheme = UriScheme::sip;
    return parse_sip(rest, u);
  }
  if (scheme_is(u.scheme_text, "sips")) {
    u.scheme = UriScheme::sips;
    return parse_sip(rest, u);
  }
  if (scheme_is(u.scheme_text, "tel")) {
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

}  // namespace duet::sip
