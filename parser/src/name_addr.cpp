// name-addr / addr-spec with header params (RFC 3261 §20.10, §25.1).
#include "duet/sip/name_addr.hpp"

#include "chars.hpp"
#include "duet/sip/params.hpp"
#include "duet/sip/values.hpp"

namespace duet::sip {
namespace {

bool pick_header_params(std::string_view params, NameAddr& na) noexcept {
  ParamIterator it(params);
  Param p;
  while (it.next(p)) {
    const auto& n = p.name;
    switch (n.size()) {
      case 1:
        if (chars::lower(n[0]) == 'q') {
          na.q = p.value;
          na.has_q = true;
        }
        break;
      case 3:
        if (iequals(n, "tag")) na.tag = p.value;
        break;
      case 6:
        if (iequals(n, "reg-id")) {
          na.reg_id = p.value;
          na.has_reg_id = true;
        }
        break;
      case 7:
        if (iequals(n, "expires")) {
          na.expires = p.value;
          na.has_expires = true;
        } else if (iequals(n, "methods")) {
          na.methods = p.value;
        }
        break;
      case 8:
        if (iequals(n, "received")) na.received = p.value;
        break;
      case 13:
        if (iequals(n, "+sip.instance")) {
          na.instance = p.value;
          na.has_instance = true;
        }
        break;
      default:
        break;
    }
  }
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
  if (v == "*") {
    na.star = true;
    return true;
  }
  std::size_t i = 0;
  std::size_t lt = std::string_view::npos;
  if (v[0] == '"') {
    // quoted-string display name; backslash escapes any character but CR/LF.
    i = 1;
    while (i < v.size() && v[i] != '"') {
      if (v[i] == '\\') {
        if (i + 1 >= v.size() || v[i + 1] == '\r' || v[i + 1] == '\n') return false;
        ++i;
      }
      ++i;
    }
    if (i >= v.size()) return false;
    na.display_name = v.substr(0, i + 1);
    ++i;
    while (i < v.size() && chars::lws(v[i])) ++i;
    if (i >= v.size() || v[i] != '<') return false;
    lt = i;
  } else {
    // Either *(token LWS) "<" ... or an addr-spec. Tokens and LWS only may precede '<'.
    std::size_t k = 0;
    while (k < v.size() && (chars::token(v[k]) || chars::lws(v[k]))) ++k;
    if (k < v.size() && v[k] == '<') {
      lt = k;
      na.display_name = chars::trim(v.substr(0, k));
    }
  }
  std::string_view params;
  if (lt != std::string_view::npos) {
    const auto gt = v.find('>', lt + 1);
    if (gt == std::string_view::npos) return false;
    na.angle_brackets = true;
    na.uri_text = v.substr(lt + 1, gt - lt - 1);
    params = chars::trim(v.substr(gt + 1));
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
  if (!pick_header_params(params, na)) return false;
  if (want_uri) {
    if (!parse_uri(na.uri_text, na.uri)) return false;
    na.uri_parsed = true;
  }
  return true;
}

}  // namespace duet::sip
