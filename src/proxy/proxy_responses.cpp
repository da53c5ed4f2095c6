// The response side of the proxy (RFC 3261 §16.7): responses matched to their branch, provisional
// and 2xx responses forwarded at once, other finals kept for the choice, and responses matching no
// transaction forwarded statelessly by their Via.
#include "call.hpp"
#include "duet/proxy/proxy.hpp"
#include "duet/sip/values.hpp"
#include "duet/sip/via.hpp"
#include "duet/transport/address.hpp"
#include "duet/transport/worker.hpp"

namespace duet::proxy {

std::string_view Proxy::strip_top_via(const sip::Message& rsp, bool to_stream) {
  sip::EditList e;
  if (!sip::edit_remove_top_via(e, rsp)) return {};
  std::string cl;
  if (to_stream && !rsp.has_content_length()) {
    cl = "Content-Length: " + std::to_string(rsp.body().size()) + "\r\n";
    if (!sip::edit_append_header(e, rsp, cl)) return {};
  }
  out_.resize(e.output_size(rsp.raw()));
  const std::size_t n = e.write(rsp.raw(), out_.data(), out_.size());
  return {out_.data(), n};
}

void Proxy::forward_upstream(Call& c, const sip::Message& rsp, int status) {
  transaction::Target t;
  if (!table_->target(c.server, t)) {
    if (status >= 200 && status < 300) forward_stateless_response(rsp);
    return;
  }
  const std::string_view bytes = strip_top_via(rsp, transaction::reliable(t));
  if (bytes.empty()) return;
  if (table_->respond(c.server, status, bytes)) {
    ++stats_.responses_forwarded;
  } else if (c.invite && status >= 200 && status < 300) {
    forward_stateless_response(rsp);  // the server transaction is in Accepted or gone: a 2xx goes on
  } else if (status >= 200 && !c.final_sent) {
    reply_call(c, status, "Response Too Large");  // the caller still gets the outcome
  }
}

void Proxy::forward_stateless_response(const sip::Message& rsp) {
  // §16.7 / §18.2.2: to the next Via's received/rport, or its sent-by; streams need the
  // connection, which only a transaction knows, so only datagrams go this way.
  std::string_view second;
  int i = 0;
  sip::for_each_value(rsp, sip::HeaderId::via, [&](std::string_view v) {
    if (i++ == 1) {
      second = v;
      return false;
    }
    return true;
  });
  // Only what we sent: the top Via must be one of our addresses (not a forged one naming a branch
  // of ours, which would make us reflect the response anywhere).
  sip::Uri top;
  top.scheme = sip::UriScheme::sip;
  top.host = rsp.top_via().host;
  top.host_kind = sip::classify_host(top.host);
  top.port = rsp.top_via().port;
  top.has_port = rsp.top_via().has_port;
  if (!own_address(top)) return;
  sip::Via via;
  if (second.empty() || !sip::parse_via(second, via) || !via.transport_is("UDP")) return;
  transport::Source dst{};
  std::string_view host = via.has_received ? via.received : via.host;
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  const std::uint16_t port = via.has_rport && via.rport != 0 ? static_cast<std::uint16_t>(via.rport)
                             : via.has_port                  ? via.port
                                                             : 5060;
  if (!transport::make_sockaddr(host, port, dst.peer)) return;
  const Listener* l = listener_for(transport::Proto::udp, dst.peer.ss_family);
  if (l == nullptr) return;
  dst.local = l->addr;
  const std::string_view bytes = strip_top_via(rsp, false);
  if (!bytes.empty() && w_.send(dst, bytes)) ++stats_.stateless;
}

void Proxy::on_response(const transport::Source& src, const sip::Message& msg) {
  const auto r = table_->receive_response(src, msg);
  const int status = msg.status_code();
  if (r.event == transaction::ClientEvent::absorbed) return;
  if (r.event == transaction::ClientEvent::no_match) {
    forward_stateless_response(msg);
    return;
  }
  Call* c = call_of(r.context);
  if (c == nullptr) {
    if (status >= 200 && status < 300) forward_stateless_response(msg);
    ensure_timer();
    return;
  }
  if (context_cancel(r.context)) return;  // the answer to our CANCEL
  const std::size_t bi = context_branch(r.context);
  if (bi >= c->branches.size()) return;
  Branch& b = c->branches[bi];
  if (status < 200) {
    b.provisional = true;
    if (b.cancel_wanted) send_cancel(*c, bi);
    if (status > 100 && !c->final_sent) forward_upstream(*c, msg, status);
  } else if (status < 300) {
    // §16.7 step 5: every 2xx goes upstream at once (retransmissions too), the other branches of
    // an INVITE are cancelled.
    if (b.status == 0) b.status = status;
    // Before the 2xx goes: a final response leaves the server transaction only its key, and the
    // dialog is remembered from the request.
    if (!c->final_sent && c->invite && c->via_peer) remember_peer_dialog(*c, msg);
    forward_upstream(*c, msg, status);
    if (!c->final_sent) {
      c->final_sent = true;
      c->targets.clear();  // no more forking: what it held goes now, not with the transaction
      if (c->invite) {
        cancel_branches(*c, bi);
        if (!c->dn.empty() && !c->answered) {
          c->answered = true;
          env_.call_event(c->dn, msg.call_id(), true);
        }
      }
    }
  } else {
    branch_final(*c, bi, status, &msg);
  }
  release_if_done(*c);
  ensure_timer();
}

void Proxy::on_located(std::uint64_t call, Location loc) {
  Call* c = call_of(call);
  if (c == nullptr || !c->lookup_pending) return;
  c->lookup_pending = false;
  deliver(*c, loc);
  ensure_timer();
}

void Proxy::remember_peer_dialog(Call& c, const sip::Message& ok) {
  if (peer_dialogs_.size() >= kMaxPeerDialogs) return;
  const sip::Message* req = server_request(c);
  if (req == nullptr) return;
  const sip::HeaderField* contact = req->find(sip::HeaderId::contact);
  sip::NameAddr na;
  if (contact == nullptr || !sip::parse_name_addr(contact->value, na, false)) return;
  PeerDialog d;
  d.from = std::string(req->header(sip::HeaderId::from));
  d.to = std::string(ok.header(sip::HeaderId::to));
  d.contact = std::string(na.uri_text);
  d.caller = c.src;
  // Record-Route below ours were added by proxies between the caller and us: the BYE goes
  // through them, in that order.
  bool past_ours = false;
  sip::for_each_value(ok, sip::HeaderId::record_route, [&](std::string_view v) {
    sip::NameAddr rr;
    if (!sip::parse_name_addr(v, rr, true)) return false;
    if (own_address(rr.uri)) {
      past_ours = true;
    } else if (past_ours) {
      d.route.append(d.route.empty() ? "Route: " : ", ").append(v);
    }
    return true;
  });
  if (!d.route.empty()) d.route.append("\r\n");
  peer_dialogs_[std::string(ok.call_id())] = std::move(d);
}

void Proxy::on_peer_down() {
  // Calls proxied to the peer's trunk whose INVITE is still pending are answered now.
  for (auto& p : calls_) {
    Call& c = *p;
    if (!c.live || !c.via_peer || c.final_sent) continue;
    cancel_branches(c, kServerSide);
    reply_call(c, 500, "Peer Site Down");
  }
  // Established ones end: the far end is gone with its site, so we hang up for it (a BYE to the
  // local party, sent as the callee would in its dialog).
  for (const auto& [call_id, d] : peer_dialogs_) {
    std::string via;
    transport::Source to = d.caller;  // the caller's flow (its NAT binding is with the listener)
    if (!via_line(to, true, static_cast<std::uint32_t>(std::hash<std::string>{}(call_id)), via)) continue;
    std::string bye;
    bye.reserve(512);
    bye.append("BYE ").append(d.contact).append(" SIP/2.0\r\n").append(via).append(d.route);
    bye.append("Max-Forwards: 70\r\nFrom: ").append(d.to).append("\r\nTo: ").append(d.from);
    bye.append("\r\nCall-ID: ").append(call_id);
    // Above any CSeq the callee used in the dialog (the far end's count is unknown here).
    bye.append("\r\nCSeq: 2147483000 BYE\r\nReason: SIP;cause=503;text=\"peer site down\"\r\n");
    bye.append("Content-Length: 0\r\n\r\n");
    if (table_->start_client(to, bye, 0).error == transaction::StartError::none) ++stats_.peer_calls_ended;
  }
  peer_dialogs_.clear();
  ensure_timer();
}

}  // namespace duet::proxy
