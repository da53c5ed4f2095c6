// Via (RFC 3261 §20.42, §25.1 via-parm; RFC 3581 rport).
#include "duet/sip/via.hpp"

#include <cstring>

#include "chars.hpp"
#include "duet/sip/params.hpp"
#include "duet/sip/uri.hpp"
#include "duet/sip/values.hpp"
#include "host_internal.hpp"
#include "param_scan.hpp"
#include "via_internal.hpp"

namespace duet::sip {

bool Via::transport_is(std::string_view t) const noexcept {
  return iequals(transport, t);
}

namespace {

// Records a known via-param, rejecting malformed values of the ones the transaction layer uses.
// Called again with the same params when the list needs ParamIterator, so it only assigns.
// Inlined into the scan, so that the Param stays in registers (a call reads each view back with one
// 16-byte load of two 8-byte stores, which stalls on store forwarding).
[[gnu::always_inline]] inline bool pick_via_param(const Param& p, Via& v) noexcept {
  const char* n = p.name.data();
  switch (p.name.size()) {
    case 6:
      if (chars::lit_iequals(n, "branch")) {
        if (!p.has_value || p.quoted) return false;
        v.branch = p.value;
        v.has_branch = true;
      }
      break;
    case 8:
      if (chars::lit_iequals(n, "received")) {
        if (!p.has_value) return false;
        v.received = p.value;
        v.has_received = true;
      }
      break;
    case 5:
      if (chars::lit_iequals(n, "rport")) {
        v.has_rport = true;
        if (p.has_value) {
          std::uint32_t port;
          if (!parse_uint32(p.value, port, 65535)) return false;
          v.rport = port;
        }
      } else if (chars::lit_iequals(n, "maddr")) {
        if (!p.has_value) return false;
        v.maddr = p.value;
        v.has_maddr = true;
      }
      break;
    case 3:
      if (chars::lit_iequals(n, "ttl")) {
        std::uint32_t ttl;
        if (!p.has_value || !parse_uint32(p.value, ttl, 255)) return false;
        v.ttl = p.value;
        v.has_ttl = true;
      }
      break;
    default:
      break;
  }
  return true;
}

// Parses one via-parm from the start of value. rest receives what follows it: empty, or text
// starting with the ',' before the next via-parm.
bool parse_via_prefix(std::string_view value, Via& v, std::string_view& rest) noexcept {
  reset_in_place(v);
  const auto s = chars::trim(value);
  std::size_t i = 0;
  const auto n = s.size();
  auto skip_lws = [&] {
    while (i < n && chars::lws(s[i])) ++i;
  };
  auto token = [&](std::string_view& out) {
    const std::size_t b = i;
    while (i < n && chars::token(s[i])) ++i;
    out = s.substr(b, i - b);
    return i > b;
  };
  // sent-protocol = protocol-name SLASH protocol-version SLASH transport (SLASH = SWS "/" SWS)
  if (n > 8 && std::memcmp(s.data(), "SIP/2.0/", 8) == 0) [[likely]] {  // what every UA writes
    v.protocol_name = s.substr(0, 3);
    v.protocol_version = s.substr(4, 3);
    i = 8;
  } else {
    if (!token(v.protocol_name)) return false;
    skip_lws();
    if (i >= n || s[i] != '/') return false;
    ++i;
    skip_lws();
    if (!token(v.protocol_version)) return false;
    skip_lws();
    if (i >= n || s[i] != '/') return false;
    ++i;
  }
  // The usual transports, each followed by one SP, as the loops below would read them (a 4-byte
  // memcmp with a literal is one compare).
  auto usual_transport = [](const char* t) {
    return std::memcmp(t, "UDP ", 4) == 0 || std::memcmp(t, "TCP ", 4) == 0 || std::memcmp(t, "TLS ", 4) == 0;
  };
  if (i == 8 && n > 12 && usual_transport(s.data() + 8) && !chars::lws(s[12])) [[likely]] {
    v.transport = s.substr(8, 3);
    i = 12;
  } else {
    skip_lws();
    if (!token(v.transport)) return false;
    if (i >= n || !chars::lws(s[i])) return false;
    skip_lws();
  }
  // sent-by = host [ COLON port ]
  const std::size_t hb = i;
  if (i < n && s[i] == '[') [[unlikely]] {
    while (i < n && s[i] != ']') ++i;
    if (i >= n) return false;
    ++i;
    v.host = s.substr(hb, i - hb);
    if (classify_host(v.host) == HostKind::none) return false;
  } else {
    HostKind kind;
    i = static_cast<std::size_t>(scan_plain_host(s.data() + i, s.data() + n, s.data(), kind) - s.data());
    v.host = s.substr(hb, i - hb);
    if (kind == HostKind::none) return false;
  }
  skip_lws();
  if (i < n && s[i] == ':') {
    ++i;
    skip_lws();
    std::uint32_t port;
    const char* const pe = chars::scan_port(s.data() + i, s.data() + n, s.data(), port);
    if (!pe) return false;
    i = static_cast<std::size_t>(pe - s.data());
    v.port = static_cast<std::uint16_t>(port);
    v.has_port = true;
  }
  skip_lws();
  const auto list = s.substr(i);
  auto on_param = [&v](const Param& p) __attribute__((always_inline)) {
    return pick_via_param(p, v);
  };
  // The param nearly every Via starts with: ";branch=" and a plain value, read as the scan would
  // read it; the scan goes on from there. (Should the rest need ParamIterator, it reads the whole
  // list again, branch included.)
  std::string_view tail = list;
  if (list.size() > 8 && chars::lit_iequals(list.data(), ";branch=")) {
    const char* const vb = list.data() + 8;
    const char* const le = list.data() + list.size();
    if (const char* const ve = chars::find_value_stop(vb, le, s.data()); ve != vb) {
      v.branch = std::string_view(vb, static_cast<std::size_t>(ve - vb));
      v.has_branch = true;
      tail = std::string_view(ve, static_cast<std::size_t>(le - ve));
    }
  }
  const auto scanned = scan_params(tail, true, rest, on_param, s.data());
  if (scanned == ParamScan::malformed) return false;
  if (scanned == ParamScan::has_whitespace) {
    ParamIterator it(list, ';', true);
    Param p;
    while (it.next(p))
      if (!on_param(p)) return false;
    if (!it.ok()) return false;
    rest = it.rest();
  }
  if (!rest.empty() && rest[0] != ',') return false;
  // rest is a null view when the params ran to the end (no pointer into s to subtract). Then, as
  // nearly always, nothing is left to trim: s is trimmed and i follows the LWS after sent-by.
  if (rest.data() == nullptr) {
    v.params = std::string_view(s.data() + i, n - i);
    v.text = s;
    return true;
  }
  const auto param_end = static_cast<std::size_t>(rest.data() - s.data());
  v.params = chars::trim(s.substr(i, param_end - i));
  v.text = chars::trim(s.substr(0, param_end));
  return true;
}

}  // namespace

bool parse_via(std::string_view value, Via& v) noexcept {
  std::string_view rest;
  return parse_via_prefix(value, v, rest) && rest.empty();
}

bool parse_first_via(std::string_view field_value, Via& v) noexcept {
  std::string_view rest;
  return parse_via_prefix(field_value, v, rest);
}

}  // namespace duet::sip
