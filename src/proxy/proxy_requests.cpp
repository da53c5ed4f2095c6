// The request side of the proxy: transaction matching, validation (§16.3), Route processing (§16.4)
// and target determination (§16.5). Forwarding itself is in proxy_calls.cpp.
#include <algorithm>
#include <charconv>
#include <cstring>
#include <memory>
#include <string>

#include "call.hpp"
#include "duet/proxy/proxy.hpp"
#include "duet/sip/params.hpp"
#include "duet/sip/values.hpp"
#include "duet/sip/via.hpp"
#include "duet/transport/address.hpp"
#include "duet/transport/reply.hpp"
#include "duet/transport/worker.hpp"
#include "flow_token.hpp"
#include "route_set.hpp"

namespace duet::proxy {

namespace {

constexpr std::string_view kBranchPrefix = "z9hG4bKdu";

// Our branch's loop-hash field ("z9hG4bKdu<worker>.<hash>.<seq>"), or empty.
std::string_view branch_hash(std::string_view branch) noexcept {
  if (branch.size() <= kBranchPrefix.size() || branch.substr(0, kBranchPrefix.size()) != kBranchPrefix)
    return {};
  branch.remove_prefix(kBranchPrefix.size());
  const auto a = branch.find('.');
  if (a == std::string_view::npos) return {};
  branch.remove_prefix(a + 1);
  return branch.substr(0, branch.find('.'));
}

bool dialog_creating(sip::Method m) noexcept {
  return m == sip::Method::invite || m == sip::Method::subscribe || m == sip::Method::refer ||
         m == sip::Method::notify;
}

// Every option tag of every Proxy-Require field, in message order, as one Unsupported value: a 420
// lists all the tags the proxy did not understand (§16.3 step 5), not only the first field's.
std::string unsupported_tags(const sip::Message& msg) {
  std::string tags;
  sip::for_each_value(msg, sip::HeaderId::proxy_require, [&](std::string_view tag) {
    if (!tags.empty()) tags += ", ";
    tags += tag;
    return true;
  });
  return tags;
}

}  // namespace

bool Proxy::reply(transaction::TxnId id, const sip::Message& req, const sip::ResponseViaFix& fix, int status,
                  std::string_view reason, std::string_view extra) {
  // As large as any request we accept (its Vias, From, To... are copied into the response).
  reply_buf_.resize(opt_.txn.max_message_bytes + 1024);
  char tag[9] = {'d'};
  hex8(loop_hash(req), tag + 1);
  sip::ResponseBuilder rb(reply_buf_.data(), reply_buf_.size());
  rb.start(req, status, reason, std::string_view(tag, sizeof tag), fix);
  if (!extra.empty()) rb.raw(extra);
  rb.header("Server", "duet");
  const std::string_view bytes = rb.finish();
  if (!bytes.empty() && table_->respond(id, status, bytes)) return true;
  // Too large to keep: the transaction's own minimal response still ends it.
  return table_->respond_with(id, status, reason);
}

bool Proxy::from_strict_router(const sip::Message& msg) const {
  // Cheap tests first: every request passes here. Our Record-Route URIs carry "~" in their user.
  if (msg.request_uri().find('~') == std::string_view::npos || !msg.has(sip::HeaderId::route)) return false;
  sip::Uri u;
  if (!sip::parse_uri(msg.request_uri(), u) || !u.has_user || !own_address(u)) return false;
  sip::Param dn;
  std::string_view tokens;
  return signed_tokens(u.user, sip::find_param(u.params, "dn", dn) ? dn.value : std::string_view{}, tokens);
}

void Proxy::on_request(const transport::Source& src, const sip::Message& msg) {
  // RFC 3261 §16.4: a strict router (RFC 2543) before us sent the request to the URI we put in
  // its Record-Route, with the remote target last in Route. It goes on in loose-routing form.
  if (!strict_rewrite_ && from_strict_router(msg)) {
    std::string bytes;
    auto loose = std::make_unique<sip::Message>();
    if (rewrite_from_strict_router(msg, bytes) &&
        sip::parse(bytes, *loose, {.mode = sip::Framing::datagram}).status == sip::ParseStatus::ok) {
      ++stats_.from_strict_router;
      strict_rewrite_ = true;  // once: the rewritten request is not examined again
      on_request(src, *loose);
      strict_rewrite_ = false;
      return;
    }
  }
  ++stats_.requests;
  char ip[transport::kIpStrLen];
  const sip::Via& via = msg.top_via();
  const sip::ResponseViaFix fix = transport::via_fix(via, src, ip);
  const transport::Source reply_to = transport::response_target(src, via);
  if (msg.method_id() == sip::Method::ack) {
    handle_ack(src, msg, fix, reply_to);
    ensure_timer();
    return;
  }
  const auto r = table_->receive_request(reply_to, msg, fix);
  switch (r.event) {
    case transaction::ServerEvent::new_request:
      if (msg.method_id() == sip::Method::cancel) {
        handle_cancel(r);
      } else {
        handle_new(r.id, src, msg, fix);
      }
      break;
    case transaction::ServerEvent::invalid: {
      char buf[2048];
      sip::ResponseBuilder rb(buf, sizeof buf);
      rb.start(msg, 400, "Bad Request (Via)", "d400", fix);
      const auto bytes = rb.finish();
      if (!bytes.empty()) w_.send(reply_to, bytes);
      break;
    }
    default:
      break;  // retransmission absorbed, or refused (503/513 sent)
  }
  ensure_timer();
}

void Proxy::handle_ack(const transport::Source& src, const sip::Message& msg, const sip::ResponseViaFix& fix,
                       const transport::Source& reply_to) {
  const auto r = table_->receive_request(reply_to, msg, fix);
  if (r.event == transaction::ServerEvent::ack_absorbed || r.event == transaction::ServerEvent::refused)
    return;
  // An ACK for a 2xx is a request of its own (§13.2.2.4): forwarded end to end, statelessly, by
  // its Route set (or Request-URI).
  if (msg.max_forwards() == 0) return;
  const RouteInfo routes = analyse_routes(msg, [this](const sip::Uri& u) { return own_address(u); });
  if (routes.malformed) return;
  transport::Source dst{};
  bool have = false;
  if (routes.ours > 0 && !routes.tokens.empty()) {
    have = flow_from_tokens(routes.tokens, routes.params, src, dst);
  }
  sip::Uri u;
  bool by_route = false;
  // A host name not in the cache yet: the ACK waits for the answer (and comes through here again).
  const std::uint64_t waiter = kAckWaiter | (next_ack_waiter_ & (kAckWaiter - 1));
  auto park = [&] {
    if (parked_acks_.size() >= kMaxParkedAcks) return;  // the 2xx is resent, and its ACK with it
    parked_acks_[waiter] = {std::string(msg.raw()), src};
    ++next_ack_waiter_;
  };
  std::string tls_name;
  if (!have && routes.has_next) {
    if (!sip::parse_uri(routes.next_uri, u)) return;
    switch (reach(u, dst, waiter, tls_name)) {
      case Reach::found:
        have = by_route = true;
        break;
      case Reach::pending:
        park();
        return;
      default:
        return;
    }
  }
  if (!have) {
    if (!sip::parse_uri(msg.request_uri(), u) || own_address(u)) return;
    have = resolve(u, dst);
    // A name of another domain goes to the gateway when there is one (as new requests do), else by
    // DNS.
    if (!have && !env_.is_local_domain(u.host)) {
      const Reach got =
          has_outbound_ ? reach_gateway(dst, waiter, tls_name) : reach(u, dst, waiter, tls_name);
      if (got == Reach::pending) {
        park();
        return;
      }
      have = got == Reach::found;
    }
  }
  if (!have) return;
  sip::EditList e;
  std::string via, strict_route;
  if (!via_line(dst, true, loop_hash(msg), via) || !attach_connection(dst, tls_name)) return;
  char mf[16];
  const int mfn = static_cast<int>(
      std::to_chars(mf, mf + sizeof mf, msg.max_forwards() < 0 ? 70 : msg.max_forwards() - 1).ptr - mf);
  // Sent on by its Route set to a strict router: the Request-URI and Route are swapped (§16.6 step 6).
  const bool strict = by_route && routes.next_strict;
  char ip[transport::kIpStrLen];
  char fixed_via[512];
  if (!sip::edit_prepend_via(e, msg, via) ||
      !sip::edit_fix_top_via(e, msg, transport::via_fix(msg.top_via(), src, ip), fixed_via,
                             sizeof fixed_via) ||
      !sip::edit_set_max_forwards(e, msg, std::string_view(mf, static_cast<std::size_t>(mfn)),
                                  "Max-Forwards: 70\r\n") ||
      !(strict ? edit_for_strict_router(e, msg, routes, strict_route) : remove_routes(e, msg, routes.ours))) {
    return;
  }
  std::string cl;
  if (dst.proto != transport::Proto::udp && !msg.has_content_length()) {
    cl = "Content-Length: " + std::to_string(msg.body().size()) + "\r\n";
    sip::edit_append_header(e, msg, cl);
  }
  out_.resize(e.output_size(msg.raw()));
  const std::size_t n = e.write(msg.raw(), out_.data(), out_.size());
  if (n != 0 && w_.send(dst, std::string_view(out_.data(), n))) ++stats_.stateless;
}

void Proxy::handle_cancel(const transaction::ServerResult& r) {
  ++stats_.cancels;
  if (!r.cancel_target.valid()) {
    // §16.10 would forward it statelessly; with no INVITE here to cancel, nothing downstream
    // knows it either, so the UAS answer of §9.2 is the useful one.
    table_->respond_with(r.id, 481, "Call/Transaction Does Not Exist");
    return;
  }
  table_->respond_with(r.id, 200, "OK");
  Call* c = call_of(table_->context(r.cancel_target));
  if (c == nullptr || c->final_sent) return;
  c->cancelled = true;
  cancel_branches(*c, kServerSide);
  bool pending = false;
  for (const auto& b : c->branches) pending = pending || b.status == 0;
  if (!pending) {
    // Still looking up, or no branch left running: the INVITE ends here (§9.2).
    c->final_sent = true;
    table_->respond_487(c->server);
    release_if_done(*c);
  }
}

bool Proxy::check_request(transaction::TxnId id, const sip::Message& msg, const sip::Uri& ruri,
                          std::uint32_t hash, const sip::ResponseViaFix& fix) {
  // §16.3 step 2: a scheme we can route.
  if (ruri.scheme != sip::UriScheme::sip && ruri.scheme != sip::UriScheme::sips &&
      ruri.scheme != sip::UriScheme::tel) {
    ++stats_.rejected;
    reply(id, msg, fix, 416, "Unsupported URI Scheme");
    return false;
  }
  // Step 3: Max-Forwards.
  if (msg.max_forwards() == 0) {
    ++stats_.too_many_hops;
    reply(id, msg, fix, 483, "Too Many Hops");
    return false;
  }
  // Step 4: a request that already went through us with the same identity is looping (a spiral,
  // with another Request-URI, has another hash).
  char hex[8];
  hex8(hash, hex);
  bool loop = false;
  sip::for_each_value(msg, sip::HeaderId::via, [&](std::string_view v) {
    sip::Via via;
    if (!sip::parse_via(v, via) || branch_hash(via.branch) != std::string_view(hex, 8)) return true;
    sip::Uri sent_by;
    sent_by.scheme = sip::UriScheme::sip;
    sent_by.host = via.host;
    sent_by.host_kind = sip::classify_host(via.host);
    sent_by.port = via.port;
    sent_by.has_port = via.has_port;
    loop = own_address(sent_by);
    return !loop;
  });
  if (loop) {
    ++stats_.loops;
    reply(id, msg, fix, 482, "Loop Detected");
    return false;
  }
  // Step 5: we support no extension a proxy would have to understand.
  if (const std::string tags = unsupported_tags(msg); !tags.empty()) {
    ++stats_.rejected;
    reply(id, msg, fix, 420, "Bad Extension", "Unsupported: " + tags + "\r\n");
    return false;
  }
  return true;
}

void Proxy::handle_new(transaction::TxnId id, const transport::Source& src, const sip::Message& msg,
                       const sip::ResponseViaFix& fix) {
  // What the call does before this returns works on msg itself, not on a re-parsed stored copy.
  const RoutingScope routing(*this, msg);
  sip::Uri ruri;
  if (!sip::parse_uri(msg.request_uri(), ruri)) {
    ++stats_.rejected;
    reply(id, msg, fix, 400, "Bad Request-URI");
    return;
  }
  const std::uint32_t hash = loop_hash(msg);
  if (!check_request(id, msg, ruri, hash, fix)) return;
  const RouteInfo routes = analyse_routes(msg, [this](const sip::Uri& u) { return own_address(u); });
  if (routes.malformed) {
    ++stats_.rejected;
    reply(id, msg, fix, 400, "Bad Route");
    return;
  }
  if (msg.method_id() == sip::Method::bye && !peer_dialogs_.empty())
    peer_dialogs_.erase(std::string(msg.call_id()));
  if (msg.method_id() == sip::Method::bye && routes.ours > 0) {
    sip::Param dn;
    std::string_view tokens;
    // Only a Route we signed with this DN: a forged one must not free another agent mid-call.
    if (sip::find_param(routes.params, "dn", dn) && !dn.value.empty() &&
        signed_tokens(routes.tokens, dn.value, tokens))
      env_.call_event(dn.value, msg.call_id(), false);
  }
  Call* c = new_call();
  if (c == nullptr) {
    reply(id, msg, fix, 503, "Service Unavailable");
    return;
  }
  c->server = id;
  c->src = src;
  c->loop_hash = hash;
  c->invite = msg.method_id() == sip::Method::invite;
  c->received_len = static_cast<std::uint8_t>(std::min(fix.received.size(), sizeof c->received));
  if (c->received_len > 0)
    std::memcpy(c->received, fix.received.data(), c->received_len);  // may be null when empty
  c->rport = fix.rport;
  table_->set_context(id, c->context());
  const bool initial = msg.to().tag.empty();
  c->record_route = opt_.record_route && initial && dialog_creating(msg.method_id());

  route(*c, msg, ruri, routes);
}

// From here on only the call and the request are needed, so that a request waiting for DNS
// (Call::dns_pending) goes through again, from the stored request, once the answer is cached.
void Proxy::route(Call& call, const sip::Message& msg, const sip::Uri& ruri, const RouteInfo& routes) {
  Call* c = &call;
  const bool initial = msg.to().tag.empty();
  const transport::Source& src = c->src;
  auto forward = [&](const transport::Source& to, bool keep_flow = true, bool to_next_route = false) {
    bool started = start_branch(*c, nullptr, to, {}, keep_flow, to_next_route);
    // A DNS answer's next hops when this one cannot even be sent to (RFC 3263 §4.3).
    while (!started && !c->alt_hops.empty()) {
      const transport::Source next = c->alt_hops.front();
      c->alt_hops.erase(c->alt_hops.begin());
      started = start_branch(*c, nullptr, next, {}, keep_flow, to_next_route);
    }
    if (!started && !c->final_sent) {
      ++stats_.unavailable;
      // 500, not 503: a 503 would tell the caller to avoid this proxy (§16.7 step 6, §21.5.4).
      reply_call(*c, 500, "Next Hop Unreachable");
    }
  };
  transport::Source dst{};
  // What a reach() came to: forwarded to dst (the answer's other hops keep the same flags for
  // failover), waiting for its lookup, or answered: nx for a name that does not resolve, failed
  // for a lookup that failed.
  struct Answer {
    int status;
    std::string_view reason;
  };
  auto by_dns = [&](Reach r, bool keep_flow, bool to_next_route, Answer nx, Answer failed) {
    switch (r) {
      case Reach::found:
        c->alt_keep_flow = keep_flow;
        c->alt_to_next_route = to_next_route;
        forward(dst, keep_flow, to_next_route);
        return;
      case Reach::pending:
        c->dns_pending = true;
        return;
      case Reach::unresolved:
      case Reach::dns_failed: {
        ++stats_.unavailable;
        const Answer& a = r == Reach::unresolved ? nx : failed;
        reply_call(*c, a.status, a.reason);
        return;
      }
    }
  };
  // §16.4 / §16.5: after our own Route values, the next Route decides; the flows we recorded
  // tell which end of the dialog it goes to.
  if (routes.ours > 0 && !routes.tokens.empty() && flow_from_tokens(routes.tokens, routes.params, src, dst)) {
    forward(dst);
    return;
  }
  sip::Uri next;
  if (routes.has_next) {
    const Answer bad{502, "Bad Gateway (Route not reachable)"};
    by_dns(sip::parse_uri(routes.next_uri, next) ? reach(next, dst, c->context(), c->tls_name, &c->alt_hops)
                                                 : Reach::unresolved,
           true, true, bad, bad);
    return;
  }
  // An in-dialog request's Request-URI is the remote target (a Contact): straight to it unless it
  // names us. Only new requests (and in-dialog ones addressed to us) use the location service.
  const bool own = own_address(ruri);
  if (!initial && !own && ruri.scheme != sip::UriScheme::tel) {
    // A phone reached at its Contact (no flow of its own recorded): like a location target, from
    // this worker's own port when there is one.
    if (resolve(ruri, dst)) {
      forward(dst, false);
      return;
    }
    // A host name that is not one of our domains: through the gateway when there is one (the way
    // out of this site), else located by DNS (RFC 3263).
    if (!has_outbound_ && !env_.is_local_domain(ruri.host)) {
      by_dns(reach(ruri, dst, c->context(), c->tls_name, &c->alt_hops), false, false,
             {404, "Not Found (Host Does Not Resolve)"}, {500, "Next Hop Unreachable (DNS)"});
      return;
    }
  }
  const bool ours = ruri.scheme != sip::UriScheme::tel && (own || env_.is_local_domain(ruri.host));
  if (!ours) {
    // Another domain: through the outbound gateway when there is one; without it, new requests
    // are refused (no open relay).
    if (has_outbound_) {
      by_dns(reach_gateway(dst, c->context(), c->tls_name, &c->alt_hops), true, false,
             {500, "Gateway Unreachable (Name Does Not Resolve)"}, {500, "Gateway Unreachable (DNS)"});
    } else {
      ++stats_.rejected;
      reply_call(*c, 403, "Forbidden (not relaying)");
    }
    return;
  }
  if (!ruri.has_user) {
    // Addressed to the proxy itself: nothing here takes requests but REGISTER and OPTIONS. The
    // service answers OPTIONS to us itself; one that came here had a Route naming us in front (a
    // UA pinging its outbound proxy) and gets the same answer (src/server/simple_responses.hpp).
    constexpr std::string_view kAllow = "Allow: REGISTER, OPTIONS, ACK, CANCEL\r\n";
    if (initial && msg.method_id() == sip::Method::options) {
      reply_call(*c, 200, "OK",
                 std::string(kAllow) + "Accept: application/sdp\r\nSupported: path, outbound\r\n");
      return;
    }
    ++stats_.not_found;
    if (initial) {
      reply_call(*c, 405, "Method Not Allowed", kAllow);
    } else {
      reply_call(*c, 481, "Call/Transaction Does Not Exist");
    }
    return;
  }
  // A user of ours: the location service.
  const DnRoute* dn = view_ ? view_->dn(ruri.user) : nullptr;
  if (dn != nullptr) c->dn = std::string(ruri.user);
  const bool want_peer = dn != nullptr && dn->forward == Forward::oos;
  Location loc;
  c->lookup_pending = true;
  if (env_.locate(w_, ruri, want_peer, c->context(), loc)) {
    c->lookup_pending = false;
    deliver(*c, loc);
  }
}

}  // namespace duet::proxy
