// URI equality, RFC 3261 §19.1.4.
#include "chars.hpp"
#include "duet/sip/params.hpp"
#include "duet/sip/uri.hpp"
#include "duet/sip/values.hpp"

namespace duet::sip {
namespace {

// Next character of an escaped string, decoding %HH. Returns false at the end.
struct Unescaper {
  std::string_view s;
  std::size_t i = 0;
  bool next(char& c) noexcept {
    if (i >= s.size()) return false;
    if (s[i] == '%' && i + 2 < s.size() && chars::hex(s[i + 1]) && chars::hex(s[i + 2])) {
      c = static_cast<char>(chars::hex_value(s[i + 1]) * 16 + chars::hex_value(s[i + 2]));
      i += 3;
    } else {
      c = s[i++];
    }
    return true;
  }
};

// The k-th (0-based) parameter called `name` in list, if there is one.
bool find_nth_param(std::string_view list, std::string_view name, std::size_t k, Param& out) noexcept {
  ParamIterator it(list);
  Param p;
  while (it.next(p)) {
    if (param_name_equal(p.name, name) && k-- == 0) {
      out = p;
      return true;
    }
  }
  return false;
}

// How many parameters before `before` in list are called `name`.
std::size_t occurrence(std::string_view list, std::string_view name, const char* before) noexcept {
  ParamIterator it(list);
  Param p;
  std::size_t n = 0;
  while (it.next(p) && p.name.data() < before) n += param_name_equal(p.name, name);
  return n;
}

// Parameters present in both must match; user, ttl, method, maddr and transport present in only one
// never match (§19.1.4 and its examples); other one-sided parameters are ignored. A repeated name is
// matched occurrence by occurrence, so equality stays reflexive.
bool params_equal(std::string_view a, std::string_view b) noexcept {
  auto one_sided_matters = [](std::string_view name) {
    return param_name_equal(name, "user") || param_name_equal(name, "ttl") ||
           param_name_equal(name, "method") || param_name_equal(name, "maddr") ||
           param_name_equal(name, "transport");
  };
  auto covered = [&](std::string_view x, std::string_view y, bool compare_values) {
    ParamIterator it(x);
    Param px;
    while (it.next(px)) {
      Param py;
      if (find_nth_param(y, px.name, occurrence(x, px.name, px.name.data()), py)) {
        if (compare_values && (px.has_value != py.has_value || !unescaped_equal(px.value, py.value, true)))
          return false;
      } else if (one_sided_matters(px.name)) {
        return false;
      }
    }
    return it.ok();
  };
  return covered(a, b, true) && covered(b, a, false);
}

bool headers_equal(std::string_view a, std::string_view b) noexcept {
  // Header components are never ignored; order does not matter. Both sides must hold the same set.
  auto count = [](std::string_view h) {
    std::size_t n = h.empty() ? 0 : 1;
    for (char c : h) n += c == '&';
    return n;
  };
  if (count(a) != count(b)) return false;
  auto contains_all = [](std::string_view x, std::string_view y) {
    std::size_t pos = 0;
    while (pos <= x.size() && !x.empty()) {
      auto amp = x.find('&', pos);
      const auto item = x.substr(pos, amp == std::string_view::npos ? std::string_view::npos : amp - pos);
      const auto eq = item.find('=');
      const auto name = item.substr(0, eq);
      const auto value = eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1);
      bool found = false;
      std::size_t p2 = 0;
      while (p2 <= y.size()) {
        auto amp2 = y.find('&', p2);
        const auto it2 = y.substr(p2, amp2 == std::string_view::npos ? std::string_view::npos : amp2 - p2);
        const auto eq2 = it2.find('=');
        if (unescaped_equal(name, it2.substr(0, eq2), true) &&
            unescaped_equal(value, eq2 == std::string_view::npos ? std::string_view{} : it2.substr(eq2 + 1),
                            false)) {
          found = true;
          break;
        }
        if (amp2 == std::string_view::npos) break;
        p2 = amp2 + 1;
      }
      if (!found) return false;
      if (amp == std::string_view::npos) break;
      pos = amp + 1;
    }
    return true;
  };
  return contains_all(a, b) && contains_all(b, a);
}

}  // namespace

bool unescaped_equal(std::string_view a, std::string_view b, bool case_insensitive) noexcept {
  Unescaper ua{a}, ub{b};
  char ca, cb;
  for (;;) {
    const bool ha = ua.next(ca);
    const bool hb = ub.next(cb);
    if (!ha || !hb) return ha == hb;
    if (case_insensitive) {
      ca = chars::lower(ca);
      cb = chars::lower(cb);
    }
    if (ca != cb) return false;
  }
}

bool uri_equal(const Uri& a, const Uri& b) noexcept {
  if (a.scheme != b.scheme) return false;
  if (a.scheme == UriScheme::other) {
    return iequals(a.scheme_text, b.scheme_text) && a.opaque == b.opaque;
  }
  if (a.scheme == UriScheme::tel) {
    // RFC 3966 §4: visual separators do not count; parameters compared as sets.
    auto strip_equal = [](std::string_view x, std::string_view y) {
      std::size_t i = 0, j = 0;
      auto visual = [](char c) { return c == '-' || c == '.' || c == '(' || c == ')'; };
      for (;;) {
        while (i < x.size() && visual(x[i])) ++i;
        while (j < y.size() && visual(y[j])) ++j;
        if (i == x.size() || j == y.size()) return i == x.size() && j == y.size();
        if (chars::lower(x[i]) != chars::lower(y[j])) return false;
        ++i;
        ++j;
      }
    };
    return strip_equal(a.user, b.user) && params_equal(a.params, b.params) &&
           params_equal(b.params, a.params);
  }
  if (a.has_user != b.has_user) return false;
  if (!unescaped_equal(a.user, b.user, false) || !unescaped_equal(a.password, b.password, false))
    return false;
  if (!iequals(a.host, b.host)) return false;
  if (a.has_port != b.has_port || a.port != b.port) return false;
  if (!params_equal(a.params, b.params)) return false;
  return headers_equal(a.headers, b.headers);
}

}  // namespace duet::sip
