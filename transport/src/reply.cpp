#include "duet/transport/reply.hpp"

#include "duet/sip/header_id.hpp"
#include "duet/sip/values.hpp"

namespace duet::transport {

bool top_via(const sip::Message& m, sip::Via& out) noexcept {
  const auto* f = m.find(sip::HeaderId::via);
  if (!f) return false;
  sip::ValueSplitter split(f->value);
  std::string_view first;
  if (!split.next(first)) return false;
  return sip::parse_via(first, out);
}

sip::ResponseBuilder::ViaFix via_fix(const sip::Via& top, const Source& src, char* ip_buf) noexcept {
  sip::ResponseBuilder::ViaFix fix;
  const auto ip = sockaddr_ip(src.peer, ip_buf, kIpStrLen);
  // Compare addresses, not text: "::1" and "0:0::1" are the same host. Equal text is the usual
  // case (a phone's own address in its Via) and needs no conversion.
  bool same = ip == top.host;
  if (!same) {
    sockaddr_storage sent_by{};
    same = make_sockaddr(top.host, 0, sent_by) && sockaddr_same_ip(sent_by, src.peer);
  }
  // A received the sender wrote itself is replaced too: only ours may say where it was seen (a
  // response forwarded on by that Via must not go to an address the sender chose).
  if (!same || top.has_rport || top.has_received) fix.received = ip;
  if (top.has_rport) fix.rport = sockaddr_port(src.peer);
  return fix;
}

Source response_target(const Source& src, const sip::Via& top) noexcept {
  Source dst = src;
  if (src.proto != Proto::udp) return dst;
  if (!top.has_rport) set_sockaddr_port(dst.peer, top.has_port ? top.port : 5060);
  return dst;
}

}  // namespace duet::transport
