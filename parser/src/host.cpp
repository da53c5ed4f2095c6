// Host syntax (RFC 3261 §25.1 hostname / IPv4address / IPv6reference; RFC 5118 for IPv6 in SIP).
#include <cstddef>

#include "chars.hpp"
#include "duet/sip/uri.hpp"
#include "host_internal.hpp"

namespace duet::sip {

bool ipv4_address(std::string_view s) noexcept {
  // Four dot-separated parts of 1 to 3 digits, each at most 255 (leading zeros allowed).
  const char* p = s.data();
  const char* const e = p + s.size();
  for (int part = 0; part < 4; ++part) {
    if (p == e || !chars::digit(*p)) return false;
    unsigned v = static_cast<unsigned>(*p++ - '0');
    for (int k = 0; k < 2 && p < e && chars::digit(*p); ++k) v = v * 10 + static_cast<unsigned>(*p++ - '0');
    if (v > 255) return false;
    if (part < 3) {
      if (p == e || *p != '.') return false;
      ++p;
    }
  }
  return p == e;
}

namespace {

bool ipv6(std::string_view s) noexcept {
  // hexpart [ ":" IPv4address ], hexpart = hexseq / hexseq "::" [hexseq] / "::" [hexseq]
  if (s.empty()) return false;
  int groups = 0;
  bool compressed = false;
  std::size_t i = 0;
  if (s.size() >= 2 && s[0] == ':' && s[1] == ':') {
    compressed = true;
    i = 2;
    if (i == s.size()) return true;
  } else if (s[0] == ':') {
    return false;
  }
  while (i < s.size()) {
    std::size_t b = i;
    while (i < s.size() && chars::hex(s[i]) && i - b < 5) ++i;
    if (i < s.size() && s[i] == '.') {
      // Embedded IPv4 tail: counts as two groups.
      if (!ipv4_address(s.substr(b))) return false;
      groups += 2;
      i = s.size();
      break;
    }
    if (i == b || i - b > 4) return false;
    ++groups;
    if (i == s.size()) break;
    if (s[i] != ':') return false;
    ++i;
    if (i < s.size() && s[i] == ':') {
      if (compressed) return false;
      compressed = true;
      ++i;
      if (i == s.size()) break;
    } else if (i == s.size()) {
      return false;  // trailing single ':'
    }
  }
  return compressed ? groups <= 7 : groups == 8;
}

bool hostname(std::string_view s) noexcept {
  // *( domainlabel "." ) toplabel [ "." ]; labels alphanum with inner '-'; toplabel starts with ALPHA.
  if (s.empty()) return false;
  if (s.back() == '.') s.remove_suffix(1);
  if (s.empty()) return false;
  std::size_t label_begin = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '.') {
      if (i == label_begin) return false;
      if (s[label_begin] == '-' || s[i - 1] == '-') return false;
      if (i == s.size() && !chars::is(s[label_begin], chars::kAlpha)) return false;
      label_begin = i + 1;
    } else if (!chars::is(s[i], chars::kAlpha | chars::kDigit) && s[i] != '-') {
      return false;
    }
  }
  return true;
}

}  // namespace

HostKind classify_host(std::string_view host) noexcept {
  if (host.empty()) return HostKind::none;
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return HostKind::none;
    return ipv6(host.substr(1, host.size() - 2)) ? HostKind::ipv6 : HostKind::none;
  }
  if (chars::digit(host.front()) && ipv4_address(host)) return HostKind::ipv4;
  return hostname(host) ? HostKind::name : HostKind::none;
}

HostKind classify_plain_host(std::string_view host) noexcept {
  // Same answers as classify_host() for these characters. A valid IPv4 address has a digit top
  // label, a valid hostname an alpha one, so the top label's first character picks the test.
  const char* b = host.data();
  const char* e = b + host.size();
  if (b == e) return HostKind::none;
  const char* const full_end = e;
  if (e[-1] == '.') --e;  // a hostname may end in '.'; an IPv4 address may not (ipv4_address() rejects it)
  const char* label = b;
  for (const char* p = b; p < e; ++p) {
    if (*p != '.') continue;
    if (p == label || *label == '-' || p[-1] == '-') return HostKind::none;
    label = p + 1;
  }
  if (label == e || *label == '-' || e[-1] == '-') return HostKind::none;
  if (chars::is(*label, chars::kAlpha)) return HostKind::name;
  const std::string_view whole(b, static_cast<std::size_t>(full_end - b));
  return (chars::digit(*b) && ipv4_address(whole)) ? HostKind::ipv4 : HostKind::none;
}

}  // namespace duet::sip
