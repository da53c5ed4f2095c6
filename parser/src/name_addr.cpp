// name-addr / addr-spec with header params (RFC 3261 §20.10, §25.1).
#include "duet/sip/name_addr.hpp"

#include <cstring>

#include "chars.hpp"
#include "duet/sip/params.hpp"
#include "duet/sip/values.hpp"
#include "param_scan.hpp"
#include "uri_parse.hpp"

namespace duet::sip {
namespace {

// Records one header param if it is a known one. Called again with the same params when the
// list needs ParamIterator's whitespace handling, so it only assigns.
// Inlined into the scan, so that the Param stays in registers: a call reads each view back with one
// 16-byte load of two 8-byte stores, which stalls on store forwarding.
[[gnu::always_inline]] inline void pick_header_param(const Param& p, NameAddr& na) noexcept {
  const char* n = p.name.data();
  switch (p.name.size()) {
    case 1:
      if (chars::lower(n[0]) == 'q') {
        na.q = p.value;
        na.has_q = true;
      }
      break;
    case 3:
      if (chars::lit_iequals(n, "tag")) na.tag = p.value;
      break;
    case 6:
      if (chars::lit_iequals(n, "reg-id")) {
        na.reg_id = p.value;
        na.has_reg_id = true;
      }
      break;
    case 7:
      if (chars::lit_iequals(n, "expires")) {
        na.expires = p.value;
        na.has_expires = true;
      } else if (chars::lit_iequals(n, "methods")) {
        na.methods = p.value;
      }
      break;
    case 8:
      if (chars::lit_iequals(n, "received")) na.received = p.value;
      break;
    case 13:
      if (chars::lit_iequals(n, "+sip.instance")) {
        na.instance = p.value;
        na.has_instance = true;
      }
      break;
    default:
      break;
  }
}

// lo <= params.data() is the lowest address known to be readable (the start of the whole value): a
// short tag then still takes one SIMD step instead of the scalar loop. Forced inline, with the scan
// in it: left to itself GCC keeps one or the other out of line as the URI code around it grows,
// and the call (and Param passed through memory) cost more than the scan of a short list.
[[gnu::always_inline]] inline bool pick_header_params(std::string_view params, NameAddr& na,
                                                      const char* lo) noexcept {
  // What From and To nearly always carry: exactly ";tag=" and a plain value, which is what the
  // scan below would make of it, found with one search.
  if (params.size() > 5 && chars::lit_iequals(params.data(), ";tag=")) {
    const char* const vb = params.data() + 5;
    const char* const e = params.data() + params.size();
    if (chars::find_value_stop(vb, e, lo) == e) {
      na.tag = std::string_view(vb, static_cast<std::size_t>(e - vb));
      return true;
    }
  }
  std::string_view rest;
  const auto r = scan_params(
      params, false, rest,
      [&](const Param& p) {
        pick_header_param(p, na);
        return true;
      },
      lo);
  if (r != ParamScan::has_whitespace) return r == ParamScan::ok;
  ParamIterator it(params);
  Param p;
  while (it.next(p)) pick_header_param(p, na);
  return it.ok();
}

}  // namespace

std::string_view NameAddr::display_name_unquoted() const noexcept {
  if (display_name.size() >= 2 && display_name.front() == '"' && display_name.back() == '"')
    return display_name.substr(1, display_name.size() - 2);
  return display_name;
}

int NameAddr::q_value() const noexcept {
  // qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
  if (!has_q) return 1000;
  const auto v = q;
  if (v.empty() || (v[0] != '0' && v[0] != '1')) return -1;
  int whole = v[0] - '0';
  int frac = 0;
  if (v.size() > 1) {
    if (v[1] != '.' || v.size() > 5) return -1;
    int scale = 100;
    for (std::size_t i = 2; i < v.size(); ++i) {
      if (!chars::digit(v[i])) return -1;
      frac += (v[i] - '0') * scale;
      scale /= 10;
    }
  }
  const int q1000 = whole * 1000 + frac;
  return q1000 > 1000 ? -1 : q1000;
}

bool parse_name_addr(std::string_view value, NameAddr& na, bool want_uri) noexcept {
  reset_in_place(na);
  const auto v = chars::trim(value);
  if (v.empty()) return false;
  if (v.size() == 1 && v[0] == '*') {
    na.star = true;
    return true;
  }
  const char* const b = v.data();
  const char* const e = b + v.size();
  const char* lt = nullptr;
  if (*b == '<') [[likely]] {
    lt = b;  // the usual "<sip:...>": no display name
    na.display_name = v.substr(0, 0);
  } else if (*b == '"') {
    // quoted-string display name; backslash escapes any character but CR/LF.
    const char* p = b + 1;
    for (;;) {
      p = chars::find_any<0, '"', '\\'>(p, e, b);
      if (p >= e || *p == '"') break;
      if (e - p < 2 || p[1] == '\r' || p[1] == '\n') return false;
      p += 2;
    }
    if (p >= e) return false;
    na.display_name = std::string_view(b, static_cast<std::size_t>(p + 1 - b));
    ++p;
    while (p < e && chars::lws(*p)) ++p;
    if (p >= e || *p != '<') return false;
    lt = p;
  } else {
    // Either *(token LWS) "<" ... or an addr-spec. Tokens and LWS only may precede '<'.
    const char* p = b;
    while (p < e && chars::is(*p, chars::kToken | chars::kLws)) ++p;
    if (p < e && *p == '<') {
      lt = p;
      na.display_name = chars::trim(std::string_view(b, static_cast<std::size_t>(p - b)));
    }
  }
  std::string_view params;
  if (lt) {
    const char* const gt = chars::find_any<0, '>'>(lt + 1, e, b);
    if (gt == e) return false;
    na.angle_brackets = true;
    na.uri_text = std::string_view(lt + 1, static_cast<std::size_t>(gt - lt - 1));
    params = chars::trim(std::string_view(gt + 1, static_cast<std::size_t>(e - gt - 1)));
    if (!params.empty() && params[0] != ';') return false;
  } else {
    // addr-spec: parameters after it belong to the header, so the URI ends at the first ';'.
    const auto semi = v.find(';');
    na.uri_text = chars::trim(v.substr(0, semi));
    if (semi != std::string_view::npos) params = v.substr(semi);
    for (char c : na.uri_text)
      if (chars::lws(c) || c == '?' || c == ',') return false;
  }
  if (na.uri_text.empty()) return false;
  na.params = params;
  if (!pick_header_params(params, na, b)) return false;
  if (want_uri) {
    if (!uri_detail::parse_uri_fast(na.uri_text, na.uri)) return false;
    na.uri_parsed = true;
  }
  return true;
}

}  // namespace duet::sip
