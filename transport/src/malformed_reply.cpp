#include "malformed_reply.hpp"

#include "duet/sip/header_id.hpp"
#include "duet/sip/name_addr.hpp"
#include "duet/sip/params.hpp"
#include "duet/sip/values.hpp"
#include "duet/sip/writer.hpp"
#include "duet/transport/reply.hpp"

namespace duet::transport {

namespace {

// Bytes we are willing to echo back: no NUL, no bare CR/LF outside a fold, no other controls.
bool echoable(std::string_view v) noexcept {
  for (std::size_t i = 0; i < v.size(); ++i) {
    const auto c = static_cast<unsigned char>(v[i]);
    if (c == '\r') {
      // Only as CRLF followed by whitespace (a folded line).
      if (i + 2 >= v.size() || v[i + 1] != '\n' || (v[i + 2] != ' ' && v[i + 2] != '\t')) return false;
      i += 1;
      continue;
    }
    if (c == '\n' || c == 0x7f || (c < 0x20 && c != '\t')) return false;
  }
  return true;
}

struct Salvaged {
  std::string_view method;
  std::string_view vias[16];
  std::size_t via_count = 0;
  std::string_view from, to, call_id, cseq;
  bool have_from = false, have_to = false, have_call_id = false, have_cseq = false;
};

// Splits the header block into fields (folded lines joined) and keeps the five we need.
bool salvage(std::string_view raw, Salvaged& s) noexcept {
  while (raw.size() >= 2 && raw.substr(0, 2) == "\r\n") raw.remove_prefix(2);
  auto eol = raw.find("\r\n");
  if (eol == std::string_view::npos) return false;
  const auto start = raw.substr(0, eol);
  if (start.substr(0, 4) == "SIP/") return false;  // a response (or garbage shaped like one)
  const auto sp = start.find(' ');
  if (sp == std::string_view::npos || !sip::is_token(start.substr(0, sp))) return false;
  s.method = start.substr(0, sp);
  std::size_t pos = eol + 2;
  while (pos < raw.size()) {
    // A field ends at a CRLF not followed by whitespace.
    std::size_t end = pos;
    for (;;) {
      end = raw.find("\r\n", end);
      if (end == std::string_view::npos) return false;  // header block cut short
      if (end + 2 < raw.size() && (raw[end + 2] == ' ' || raw[end + 2] == '\t')) {
        end += 2;
        continue;
      }
      break;
    }
    const auto line = raw.substr(pos, end - pos);
    pos = end + 2;
    if (line.empty()) return true;  // blank line: end of the header block
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const auto id = sip::header_id_from_name(sip::trim_lws(line.substr(0, colon)));
    const auto value = sip::trim_lws(line.substr(colon + 1));
    switch (id) {
      case sip::HeaderId::via:
        if (s.via_count < std::size(s.vias)) s.vias[s.via_count++] = value;
        break;
      case sip::HeaderId::from:
        if (!s.have_from) s.from = value, s.have_from = true;
        break;
      case sip::HeaderId::to:
        if (!s.have_to) s.to = value, s.have_to = true;
        break;
      case sip::HeaderId::call_id:
        if (!s.have_call_id) s.call_id = value, s.have_call_id = true;
        break;
      case sip::HeaderId::cseq:
        if (!s.have_cseq) s.cseq = value, s.have_cseq = true;
        break;
      default:
        break;
    }
  }
  return true;  // datagram without a blank line: the headers read so far are all there is
}

}  // namespace

MalformedReply build_malformed_reply(std::string_view raw, int code, std::string_view reason,
                                     const Source& src, std::string_view to_tag, char* buf,
                                     std::size_t cap) noexcept {
  MalformedReply out;
  Salvaged s;
  if (!salvage(raw, s)) return out;
  // No response to an ACK (RFC 3261 §17.2.1).
  if (s.method == "ACK" || s.via_count == 0 || !s.have_from || !s.have_to || !s.have_call_id ||
      !s.have_cseq) {
    return out;
  }
  for (std::size_t i = 0; i < s.via_count; ++i) {
    if (!echoable(s.vias[i])) return out;
  }
  if (!echoable(s.from) || !echoable(s.to) || !echoable(s.call_id) || !echoable(s.cseq)) return out;

  sip::ValueSplitter split(s.vias[0]);
  std::string_view first;
  if (!split.next(first)) return out;
  char ip[kIpStrLen];
  sip::ResponseBuilder::ViaFix fix{};
  if (sip::parse_via(first, out.top_via)) {
    fix = via_fix(out.top_via, src, ip);
  } else {
    // A top Via we cannot read (RFC 4475 §3.1.2.1 badinv01: "192.0.2.15;;,;,,"): echo it as it
    // came and answer where the request came from, as rport would.
    out.top_via = sip::Via{};
    out.top_via.has_rport = true;
  }

  sip::BufferWriter w(buf, cap);
  w.put("SIP/2.0 ").put_uint(static_cast<std::uint64_t>(code)).put(' ').put(reason).put("\r\n");
  // Top via-parm with rport filled in and received added (RFC 3261 §18.2.1, RFC 3581 §4).
  const char* first_end = first.data() + first.size();
  const char* copied = s.vias[0].data();
  w.put("Via: ");
  sip::Param rport;
  if (fix.rport != 0 && sip::find_param(out.top_via.params, "rport", rport) && !rport.has_value) {
    const char* at = rport.name.data() + rport.name.size();
    if (at < copied || at > first_end) return out;  // not a view into the Via: never expected
    w.put(std::string_view(copied, static_cast<std::size_t>(at - copied))).put('=').put_uint(fix.rport);
    copied = at;
  }
  w.put(std::string_view(copied, static_cast<std::size_t>(first_end - copied)));
  if (!fix.received.empty() && !out.top_via.has_received) w.put(";received=").put(fix.received);
  w.put(
      std::string_view(first_end, static_cast<std::size_t>(s.vias[0].data() + s.vias[0].size() - first_end)));
  w.put("\r\n");
  for (std::size_t i = 1; i < s.via_count; ++i) w.put("Via: ").put(s.vias[i]).put("\r\n");
  w.put("From: ").put(s.from).put("\r\n");
  w.put("To: ").put(s.to);
  sip::NameAddr to;
  if (code > 100 && sip::parse_name_addr(s.to, to, false) && to.tag.empty()) w.put(";tag=").put(to_tag);
  w.put("\r\n");
  w.put("Call-ID: ").put(s.call_id).put("\r\n");
  w.put("CSeq: ").put(s.cseq).put("\r\n");
  w.put("Server: duet\r\nContent-Length: 0\r\n\r\n");
  if (w.overflowed()) return out;
  out.bytes = w.view();
  return out;
}

}  // namespace duet::transport
