// Parser-internal: the URI grammar as inline functions, so that parse_name_addr() (which parses the
// URI of every From, To and Contact) runs it without a call per part; uri.cpp holds the rest.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

#include "chars.hpp"
#include "duet/sip/uri.hpp"
#include "host_internal.hpp"

namespace duet::sip::uri_detail {

// Out of line in uri.cpp: any URI but one that starts with "sip:" (in that case), whose text is set.
bool parse_uri_other(std::string_view text, Uri& u) noexcept;

// The URI parameters the Uri has a field for, by name (n, len); false for any other name.
[[gnu::always_inline]] inline bool pick_known_param(const char* n, std::size_t len, std::string_view value,
                                                    Uri& u) noexcept {
  switch (len) {
    case 2:
      if (chars::lit_iequals(n, "lr")) return u.lr = true;
      if (chars::lit_iequals(n, "ob")) return u.ob = true;
      return false;
    case 3:
      if (!chars::lit_iequals(n, "ttl")) return false;
      u.ttl = value;
      return true;
    case 4:
      if (!chars::lit_iequals(n, "user")) return false;
      u.user_param = value;
      return true;
    case 5:
      if (!chars::lit_iequals(n, "maddr")) return false;
      u.maddr = value;
      return true;
    case 6:
      if (!chars::lit_iequals(n, "method")) return false;
      u.method = value;
      return true;
    case 9:
      if (!chars::lit_iequals(n, "transport")) return false;
      u.transport = value;
      return true;
    default:
      return false;
  }
}

// uri-parameters: each ";pname[=pvalue]" with paramchar = param-unreserved / unreserved / escaped.
// One pass validates, splits and picks the known names. A value may contain '=' (ParamIterator,
// which this replaces here, splits at the first one); names and values may not be empty.
// Inlined into the usual "sip:" path (as parse_sip() is): a URI is short, and a call per part costs
// a fair share of parsing one.
[[gnu::always_inline]] inline bool pick_uri_params(std::string_view params, Uri& u) noexcept {
  constexpr std::uint16_t kParamChar = chars::kUnreserved | chars::kParamExtra;
  const char* p = params.data();
  const char* const e = p + params.size();
  while (p < e) {
    if (*p != ';') return false;
    const char* const name_begin = ++p;
    // The name most Contact and To URIs carry, as the scan would find it: "transport" is all
    // paramchars and the '=' after it ends it. One compare instead of a scan of nine characters.
    const bool transport = e - p >= 10 && chars::lit_iequals(p, "transport=");
    p = transport ? p + 9 : chars::skip_escaped(p, e, kParamChar);
    const std::size_t name_len = static_cast<std::size_t>(p - name_begin);
    if (name_len == 0) return false;
    std::string_view value;
    if (p < e && *p == '=') {
      const char* const vb = ++p;
      for (;;) {  // the value: paramchars, escapes and '='
        p = chars::skip_escaped(p, e, kParamChar);
        if (p < e && *p == '=') {
          ++p;
          continue;
        }
        break;
      }
      if (p == vb) return false;
      value = std::string_view(vb, static_cast<std::size_t>(p - vb));
    }
    if (p < e && *p != ';') return false;
    if (transport) {
      u.transport = value;
      continue;
    }
    if (!pick_known_param(name_begin, name_len, value, u) && name_len > 2 &&
        std::memchr(name_begin, '%', name_len) != nullptr) {
      // RFC 3261 §19.1.4: an escaped character is the character, so ";%6C%72" is ";lr" (RFC 4475
      // esc01). Only names that matched nothing are looked at again, and only with a '%' in them.
      char plain[9];
      std::size_t k = 0;
      bool fits = true;
      for (const char* q = name_begin; q < name_begin + name_len; ++k) {
        if (k == sizeof plain) {
          fits = false;  // longer than any known name once decoded
          break;
        }
        if (*q == '%' && name_begin + name_len - q >= 3) {  // skip_escaped checked the two hex digits
          plain[k] = static_cast<char>(chars::hex_value(q[1]) * 16 + chars::hex_value(q[2]));
          q += 3;
        } else {
          plain[k] = *q++;
        }
      }
      if (fits) pick_known_param(plain, k, value, u);
    }
  }
  return true;
}

[[gnu::always_inline]] inline bool parse_userinfo(std::string_view userinfo, Uri& u) noexcept {
  const char* const b = userinfo.data();
  const char* const e = b + userinfo.size();
  // The user runs to the first ':' (user chars exclude ':'); anything else that stops it is invalid.
  const char* p = chars::skip_escaped(b, e, chars::kUnreserved | chars::kUserExtra);
  if (p == b) return false;
  u.user = std::string_view(b, static_cast<std::size_t>(p - b));
  if (p < e) {
    if (*p != ':') return false;
    u.password = std::string_view(p + 1, static_cast<std::size_t>(e - p - 1));
    if (!chars::all_of(u.password, chars::kUnreserved | chars::kPasswordExtra, true)) return false;
  }
  u.has_user = true;
  return true;
}

[[gnu::always_inline]] inline bool parse_sip(std::string_view rest, Uri& u) noexcept {
  const char* const b = rest.data();
  const char* const e = b + rest.size();
  // userinfo: everything up to the first '@' (user may contain ';' '?' '/', so '@' decides).
  const char* h = b;
  if (const char* const at = chars::find_any<0, '@'>(b, e, b); at < e) {
    if (!parse_userinfo(std::string_view(b, static_cast<std::size_t>(at - b)), u)) return false;
    h = at + 1;
  }
  // hostport
  const char* p = h;
  if (p < e && *p == '[') {
    const auto* close = static_cast<const char*>(std::memchr(p, ']', static_cast<std::size_t>(e - p)));
    if (!close) return false;
    p = close + 1;
    u.host = std::string_view(h, static_cast<std::size_t>(p - h));
    u.host_kind = classify_host(u.host);
  } else {
    // Only hostname characters may form a host; the host must end at ':', ';', '?' or the end.
    HostKind kind;
    p = scan_plain_host(p, e, b, kind);
    if (p < e && *p != ':' && *p != ';' && *p != '?') return false;
    u.host = std::string_view(h, static_cast<std::size_t>(p - h));
    u.host_kind = kind;
  }
  if (u.host_kind == HostKind::none) return false;
  if (p < e && *p == ':') {
    std::uint32_t port;
    p = chars::scan_port(p + 1, e, b, port);
    if (!p) return false;
    u.port = static_cast<std::uint16_t>(port);
    u.has_port = true;
  }
  const char* const qm = p < e ? chars::find_any<0, '?'>(p, e, b) : e;
  u.params = std::string_view(p, static_cast<std::size_t>(qm - p));
  if (!u.params.empty() && u.params[0] != ';') return false;
  if (qm < e) {
    u.headers = std::string_view(qm + 1, static_cast<std::size_t>(e - qm - 1));
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

// parse_uri() for a Uri already in its default state (e.g. inside a NameAddr that was just reset,
// which saves clearing it twice), with its usual case inline: a "sip:" URI.
[[gnu::always_inline]] inline bool parse_uri_fast(std::string_view text, Uri& u) noexcept {
  u.text = text;
  if (text.size() > 4 && chars::lit_iequals(text.data(), "sip:")) {
    // The usual scheme, as parse_uri_other() would find it.
    u.scheme_text = text.substr(0, 3);
    u.opaque = text.substr(4);
    u.scheme = UriScheme::sip;
    return parse_sip(u.opaque, u);
  }
  return parse_uri_other(text, u);
}

}  // namespace duet::sip::uri_detail
