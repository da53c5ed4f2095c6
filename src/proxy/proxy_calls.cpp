// Forking and the response context (RFC 3261 §16.5-§16.7, §16.10): the branches of a proxied
// request, serial groups by q, CANCEL of pending branches, and the final response chosen.
#include <algorithm>
#include <charconv>
#include <cstring>

#include "call.hpp"
#include "duet/proxy/delivery.hpp"
#include "duet/proxy/proxy.hpp"
#include "duet/proxy/response_choice.hpp"
#include "duet/sip/params.hpp"
#include "duet/sip/values.hpp"
#include "duet/transport/address.hpp"
#include "duet/transport/worker.hpp"
#include "flow_token.hpp"
#include "route_set.hpp"

namespace duet::proxy {

namespace {

std::string_view reason_of(int status) noexcept {
  switch (status) {
    case 404:
      return "Not Found";
    case 408:
      return "Request Timeout";
    case 480:
      return "Temporarily Unavailable";
    case 487:
      return "Request Terminated";
    case 500:
      return "Server Internal Error";
    case 503:
      return "Service Unavailable";
    case 603:
      return "Decline";
    default:
      return status < 400   ? "Redirect"
             : status < 500 ? "Client Error"
             : status < 600 ? "Server Error"
                            : "Global Failure";
  }
}

std::string_view proto_upper(transport::Proto p) noexcept {
  return p == transport::Proto::udp ? "UDP" : p == transport::Proto::tcp ? "TCP" : "TLS";
}

std::string_view transport_param(transport::Proto p) noexcept {
  return p == transport::Proto::udp ? "" : p == transport::Proto::tcp ? ";transport=tcp" : ";transport=tls";
}

// Characters a DN may have that need no escaping in a URI parameter (RFC 3261 paramchar).
bool param_safe(std::string_view s) noexcept {
  for (const char ch : s) {
    const bool ok = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    ch == '.' || ch == '_' || ch == '+' || ch == '*' || ch == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Proxy::Call* Proxy::new_call() {
  std::uint32_t i;
  if (!free_calls_.empty()) {
    i = free_calls_.back();
    free_calls_.pop_back();
  } else {
    if (calls_.size() >= (1u << 23)) return nullptr;
    i = static_cast<std::uint32_t>(calls_.size());
    calls_.push_back(std::make_unique<Call>());
    calls_.back()->index = i;
  }
  Call& c = *calls_[i];
  const std::uint32_t gen = c.gen + 1 == 0 ? 1 : c.gen + 1;
  // The last call in this slot leaves its target and branch vectors (emptied, of a usual size):
  // a call reuses them rather than allocating its own.
  std::vector<Contact> targets;
  std::vector<Branch> branches;
  if (c.targets.capacity() <= 16) targets = std::move(c.targets);
  if (c.branches.capacity() <= 16) branches = std::move(c.branches);
  targets.clear();
  branches.clear();
  c.~Call();
  new (&c) Call();
  c.targets = std::move(targets);
  c.branches = std::move(branches);
  c.index = i;
  c.gen = gen;
  c.live = true;
  ++live_calls_;
  return &c;
}

Proxy::Call* Proxy::call_of(std::uint64_t context) noexcept {
  const std::uint32_t i = context_index(context);
  if (i >= calls_.size()) return nullptr;
  Call* c = calls_[i].get();
  return c->live && c->gen == context_gen(context) ? c : nullptr;
}

void Proxy::release(Call& c) {
  if (!c.live) return;
  c.live = false;
  c.branches.clear();
  c.targets.clear();
  c.best.clear();
  c.best.shrink_to_fit();
  free_calls_.push_back(c.index);
  --live_calls_;
}

// A call whose final response has gone upstream and whose branches have all ended has nothing left
// to decide: a retransmitted 2xx is forwarded statelessly by its Via (on_response), which over UDP
// reaches the caller where its server transaction would (the caller's Via carries our received and
// rport), and everything else is the transactions'. Released now rather than with its server
// transaction, up to 64*T1 later: under call load those were most of the live calls and of their
// memory. An INVITE from a stream keeps its call: only its server transaction knows the connection
// a retransmitted 2xx must take.
void Proxy::release_if_done(Call& c) {
  if (!c.live || !c.final_sent || c.lookup_pending || c.dns_pending) return;
  if (c.invite && c.src.proto != transport::Proto::udp) return;
  for (const auto& b : c.branches) {
    if (b.status == 0) return;
  }
  release(c);
}

bool Proxy::flow_from_tokens(std::string_view user, std::string_view params, const transport::Source& src,
                             transport::Source& out) const {
  // Only tokens we signed (a forged one must not reach into another phone's connection).
  sip::Param dn;
  std::string_view tokens;
  if (!signed_tokens(user, sip::find_param(params, "dn", dn) ? dn.value : std::string_view{}, tokens))
    return false;
  const auto tilde = tokens.find('~');
  transport::Source a{}, b{};
  const bool has_a = parse_flow_token(tokens.substr(0, tilde), a);
  const bool has_b = tilde != std::string_view::npos && parse_flow_token(tokens.substr(tilde + 1), b);
  // No flow recorded for the callee (reached by URI: a gateway, the peer): what does not come
  // from the caller's flow goes to it.
  bool from_b = has_b ? same_flow(src, b) : !(has_a && same_flow(src, a));
  if (has_b && !from_b && !(has_a && same_flow(src, a))) {
    // Neither flow (a phone that reconnected): its address tells, and the callee's side is the
    // one to go to when in doubt.
    from_b = has_b && transport::sockaddr_same_ip(src.peer, b.peer) &&
             !(has_a && transport::sockaddr_same_ip(src.peer, a.peer));
  }
  if (from_b ? !has_a : !has_b) return false;
  out = from_b ? a : b;
  const Listener* l = listener_for(out.proto, out.peer.ss_family);
  if (l == nullptr) return false;
  out.local = l->addr;
  return true;
}

bool Proxy::via_line(transport::Source& dst, bool keep_flow, std::uint32_t hash, std::string& out) {
  const Listener* l = nullptr;
  for (const auto& x : listeners_) {
    if (x.proto == dst.proto && transport::sockaddr_equal(x.addr, dst.local)) l = &x;
  }
  if (l == nullptr) l = listener_for(dst.proto, dst.peer.ss_family);
  if (l == nullptr) return false;
  const bool own = l->has_own && !keep_flow;
  if (own) dst.local = l->own;
  // ;branch=z9hG4bKdu<worker>.<loop hash>.<sequence and a random salt>: the sequence keeps
  // branches unique, the salt keeps them unguessable (a forged response must not match a live
  // branch). Written by hand: snprintf showed in the per-call profile.
  char b[64];
  char* p = b;
  p = std::to_chars(p, b + sizeof b, w_.index(), 16).ptr;
  *p++ = '.';
  hex8(hash, p);
  p += 8;
  *p++ = '.';
  p = std::to_chars(p, b + sizeof b, branch_salt_ ^ (++branch_seq_ * 0x9E3779B97F4A7C15ull), 16).ptr;
  out.assign("Via: SIP/2.0/")
      .append(proto_upper(dst.proto))
      .append(" ")
      .append(own ? l->own_hostport : l->hostport)
      .append(";branch=z9hG4bKdu")
      .append(b, static_cast<std::size_t>(p - b))
      .append("\r\n");
  return true;
}

const sip::Message* Proxy::server_request(const Call& c) {
  const std::string_view req = table_->request(c.server);
  if (req.empty()) return nullptr;
  if (routing_ != nullptr && routing_->raw() == req) return routing_;
  return sip::parse(req, scratch_).status == sip::ParseStatus::ok ? &scratch_ : nullptr;
}

std::string_view Proxy::branch_of_via_line(std::string_view via) noexcept {
  const std::size_t at = via.rfind(";branch=");
  if (at == std::string_view::npos || via.size() < at + 8 + 2) return {};
  return via.substr(at + 8, via.size() - at - 8 - 2);  // up to the CRLF
}

void Proxy::reply_call(Call& c, int status, std::string_view reason, std::string_view extra) {
  if (status >= 200) c.final_sent = true;
  const sip::Message* req = server_request(c);
  if (req != nullptr && reply(c.server, *req, c.fix(), status, reason, extra)) return;
  table_->respond_with(c.server, status, reason);  // the last resort: never leave it unanswered
}

void Proxy::redirect_to_peer(Call& c, int status, std::string_view reason) {
  sip::Uri ruri;
  const sip::Message* req = server_request(c);
  if (req == nullptr || !sip::parse_uri(req->request_uri(), ruri)) return;
  std::string contact = "Contact: <sip:";
  contact.append(ruri.user).append("@").append(peer_hostport_).append(">\r\n");
  c.final_sent = true;
  reply(c.server, *req, c.fix(), status, reason, contact);
}

void Proxy::deliver(Call& c, Location& loc) {
  if (c.final_sent) return;  // cancelled while looking up
  const sip::Message* req = server_request(c);
  sip::Uri ruri;
  if (req == nullptr || !sip::parse_uri(req->request_uri(), ruri)) return;
  if (!loc.ok) {
    reply_call(c, 500, "Server Internal Error (location)");
    return;
  }
  DeliveryInput in;
  in.view = view_.get();
  in.dn = view_ ? view_->dn(ruri.user) : nullptr;
  in.invite = c.invite;
  // The peer sends from its SIP listener (its trunk address): address and port, so two sites on one
  // host still tell their phones from each other.
  in.from_peer = has_peer_ && transport::sockaddr_equal(c.src.peer, peer_trunk_.peer);
  in.location = &loc;
  switch (decide(in)) {
    case Delivery::refuse: {
      ++stats_.drain_refused;
      const int code = view_->shutdown_code;
      if (code >= 300 && code < 400 && has_peer_) {
        redirect_to_peer(c, code, code == 302 ? "Moved Temporarily" : "Redirect");
      } else {
        reply_call(c, code, reason_of(code));
      }
      return;
    }
    case Delivery::to_peer:
      if (!has_peer_) break;
      if (opt_.cross_site_proxy) {
        ++stats_.to_peer_proxied;
        c.via_peer = true;
        std::string target = "sip:";
        target.append(ruri.user).append("@").append(peer_hostport_);
        // From the listener, the trunk's address the peer knows us by: it tells our calls from its
        // phones' (and never sends them back).
        if (!start_branch(c, nullptr, peer_trunk_, target)) maybe_finish(c);
      } else {
        ++stats_.to_peer_redirect;
        redirect_to_peer(c, 302, "Moved Temporarily");
      }
      return;
    case Delivery::local:
      break;
  }
  if (loc.contacts.empty()) {
    ++stats_.not_found;
    reply_call(c, 404, "Not Found");
    return;
  }
  for (auto& ct : loc.contacts) {
    if (ct.reachable) c.targets.push_back(std::move(ct));
  }
  if (c.targets.empty()) {
    ++stats_.unavailable;
    reply_call(c, 480, "Temporarily Unavailable");
    return;
  }
  // By q, highest first, equal q in the location's order. Usually a handful of contacts: an
  // insertion sort, as std::stable_sort allocates a buffer for every call.
  const auto higher_q = [](const Contact& a, const Contact& b) { return a.q > b.q; };
  if (c.targets.size() <= 16) {
    for (std::size_t i = 1; i < c.targets.size(); ++i) {
      for (std::size_t j = i; j > 0 && higher_q(c.targets[j], c.targets[j - 1]); --j)
        std::swap(c.targets[j - 1], c.targets[j]);
    }
  } else {
    std::stable_sort(c.targets.begin(), c.targets.end(), higher_q);
  }
  if (!fork_next_group(c)) maybe_finish(c);
}

bool Proxy::fork_next_group(Call& c) {
  bool started = false;
  while (!started && c.next_target < c.targets.size()) {
    const std::uint16_t q = c.targets[c.next_target].q;
    std::size_t end = c.next_target;
    while (end < c.targets.size() && (!opt_.serial_by_q || c.targets[end].q == q)) ++end;
    for (; c.next_target < end; ++c.next_target) {
      const Contact& ct = c.targets[c.next_target];
      transport::Source dst{};
      bool have = false;
      sip::Uri u;
      if (!ct.path.empty()) {
        // RFC 3327: to the first Path hop (its flow when the Path is the one it registered over).
        sip::ValueSplitter split(ct.path);
        std::string_view first;
        sip::NameAddr na;
        have = split.next(first) && sip::parse_name_addr(first, na, true) && resolve(na.uri, dst);
      }
      if (!have && ct.has_flow) {
        dst = ct.flow;
        have = listener_for(dst.proto, dst.peer.ss_family) != nullptr;
      }
      if (!have) have = sip::parse_uri(ct.uri, u) && resolve(u, dst);
      // A contact reached at its Contact address (no flow, no Path) may take this worker's own
      // port: its responses then come straight here.
      const bool keep = ct.has_flow || !ct.path.empty();
      if (have && start_branch(c, &ct, dst, ct.uri, keep)) started = true;
    }
  }
  return started;
}

bool Proxy::start_branch(Call& c, const Contact* contact, const transport::Source& to, std::string_view ruri,
                         bool keep_flow, bool to_next_route) {
  transport::Source dst = to;
  if (c.branches.size() >= opt_.max_branches || c.branches.size() >= 0xFE) return false;
  const sip::Message* req = server_request(c);
  if (req == nullptr) return false;
  const sip::Message& m = *req;
  const RouteInfo routes = analyse_routes(m, [this](const sip::Uri& u) { return own_address(u); });

  sip::EditList e;
  std::string via, rr, path, cl, strict_route;
  if (!via_line(dst, keep_flow, c.loop_hash, via) || !attach_connection(dst, c.tls_name)) return false;
  char mf[16];
  const int mfn = static_cast<int>(
      std::to_chars(mf, mf + sizeof mf, m.max_forwards() < 0 ? 70 : m.max_forwards() - 1).ptr - mf);
  // Forwarded by its Route set to a strict router: the Request-URI and Route are swapped (§16.6 step 6).
  const bool strict = to_next_route && routes.has_next && routes.next_strict;
  // The caller's Via as our transport saw it (received, rport: RFC 3261 §18.2.1, RFC 3581 §4), as
  // recorded when the request came in.
  char fixed_via[512];
  bool ok = sip::edit_prepend_via(e, m, via) &&
            sip::edit_fix_top_via(e, m, c.fix(), fixed_via, sizeof fixed_via) &&
            sip::edit_set_max_forwards(e, m, std::string_view(mf, static_cast<std::size_t>(mfn)),
                                       "Max-Forwards: 70\r\n") &&
            (strict ? edit_for_strict_router(e, m, routes, strict_route) : remove_routes(e, m, routes.ours));
  if (ok && !ruri.empty()) {
    const auto at = static_cast<std::uint32_t>(m.request_uri().data() - m.raw().data());
    ok = e.add(at, static_cast<std::uint32_t>(m.request_uri().size()), ruri);
  }
  if (ok && contact != nullptr && !contact->path.empty()) {
    path.assign("Route: ").append(contact->path).append("\r\n");
    ok = sip::edit_insert_first_header(e, m, path);
  }
  if (ok && c.record_route) {
    // Both ends' flows, so in-dialog requests find their way back (RFC 5626 §5.3); two entries
    // when the request changes transport or address family (RFC 5658).
    std::string tokens;
    append_flow_token(tokens, c.src);
    tokens.push_back('~');
    if (contact != nullptr && contact->has_flow) append_flow_token(tokens, dst);
    const std::string_view dn = c.invite && !c.dn.empty() && param_safe(c.dn) ? std::string_view(c.dn) : "";
    const std::size_t signed_len = tokens.size();
    tokens.push_back('~');
    append_token_mac(tokens, std::string_view(tokens).substr(0, signed_len), dn);
    const Listener* in = listener_for(c.src.proto, c.src.local.ss_family);
    const Listener* out = listener_for(dst.proto, dst.peer.ss_family);
    if (in == nullptr || out == nullptr) return false;
    auto entry = [&](const Listener& l) {
      rr.append("Record-Route: <sip:").append(tokens).append("@").append(l.hostport);
      rr.append(transport_param(l.proto));
      // The agent DN of a call: the BYE that ends it says which agent is free again.
      if (!dn.empty()) rr.append(";dn=").append(dn);
      rr.append(";lr>\r\n");
    };
    entry(*out);
    if (in != out) entry(*in);
    ok = sip::edit_insert_first_header(e, m, rr);
  }
  if (ok && dst.proto != transport::Proto::udp && !m.has_content_length()) {
    cl = "Content-Length: " + std::to_string(m.body().size()) + "\r\n";
    ok = sip::edit_append_header(e, m, cl);
  }
  if (!ok) return false;
  out_.resize(e.output_size(m.raw()));
  const std::size_t n = e.write(m.raw(), out_.data(), out_.size());
  if (n == 0) return false;
  const std::size_t bi = c.branches.size();
  c.branches.emplace_back();
  c.branches[bi].dst = dst;
  // The transaction layer takes the branch we wrote instead of parsing what we built from a
  // message already parsed (our Via is in it verbatim), unless what we built might be beyond what
  // the table can parse again later (for its CANCEL and ACK): then it parses and judges it now.
  const std::string_view sent(out_.data(), n);
  const std::string_view branch = branch_of_via_line(via);
  const std::size_t at = branch.empty() ? std::string_view::npos : sent.find(via);
  constexpr std::size_t kFieldsAdded = 6;  // Via, 2 Record-Route, Route (Path), Content-Length, Max-Forwards
  const bool reparsable =
      m.header_count() + kFieldsAdded <= sip::Limits{}.max_headers && n <= sip::Limits{}.max_message_size;
  const auto r =
      at != std::string_view::npos && reparsable
          ? table_->start_client(
                dst, sent,
                sent.substr(at + static_cast<std::size_t>(branch.data() - via.data()), branch.size()),
                m.method_id(), c.context(bi))
          : table_->start_client(dst, sent, c.context(bi));
  if (r.error != transaction::StartError::none) {
    c.branches[bi].status = 503;  // could not be sent: counts as a 503 (§16.7 step 2)
    if (better_response(503, c.best_status)) {
      c.best_status = 503;
      c.best.clear();
    }
    return false;
  }
  c.branches[bi].txn = r.id;
  ++stats_.forwarded;
  return true;
}

void Proxy::send_cancel(Call& c, std::size_t bi) {
  Branch& b = c.branches[bi];
  if (b.cancel_sent || b.status != 0) return;
  std::string cancel;
  if (!table_->build_cancel(b.txn, cancel)) return;
  b.cancel_sent = true;
  table_->start_client(b.dst, cancel, c.context(bi, true));
}

void Proxy::cancel_branches(Call& c, std::size_t except) {
  if (!c.invite) return;  // only INVITE can be cancelled
  for (std::size_t i = 0; i < c.branches.size(); ++i) {
    Branch& b = c.branches[i];
    if (i == except || b.status != 0 || !b.txn.valid()) continue;
    if (b.provisional) {
      send_cancel(c, i);
    } else {
      b.cancel_wanted = true;  // §9.1: not before a provisional response
    }
  }
}

void Proxy::branch_final(Call& c, std::size_t bi, int status, const sip::Message* rsp) {
  Branch& b = c.branches[bi];
  if (b.status != 0) return;
  if (b.timed_out) {
    status = 408;
    rsp = nullptr;
  }
  b.status = status;
  if (c.final_sent) return;
  // RFC 3263 §4.3: a hop found by DNS that does not answer (Timer B/F, not Timer C), cannot be
  // reached or answers 503: the next hop of the answer, while there is one (the branch that failed
  // is not a candidate for the response any more).
  const bool hop_failed = rsp != nullptr ? status == 503 : !b.timed_out && (status == 503 || status == 408);
  while (hop_failed && !c.alt_hops.empty() && !c.cancelled) {
    const transport::Source next = c.alt_hops.front();
    c.alt_hops.erase(c.alt_hops.begin());
    if (start_branch(c, nullptr, next, {}, c.alt_keep_flow, c.alt_to_next_route)) {
      ++stats_.dns_failovers;
      return;
    }
  }
  if (status >= 600 && c.invite) {
    c.six = true;  // §16.7 step 5: no new branches, the others are cancelled
    cancel_branches(c, bi);
  }
  if ((status == 401 || status == 407) && rsp != nullptr) keep_challenges(c, bi, *rsp);
  if (better_response(status, c.best_status)) {
    c.best_status = status;
    c.best_branch = bi;
    c.best.clear();
    if (rsp != nullptr) {
      transaction::Target t;
      c.best = std::string(strip_top_via(*rsp, table_->target(c.server, t) && transaction::reliable(t)));
    }
  }
  maybe_finish(c);
}

void Proxy::keep_challenges(Call& c, std::size_t bi, const sip::Message& rsp) {
  // Bounded: a branch may send anything, and this is kept until the call's final response.
  constexpr std::size_t kMaxBytes = 8192;
  std::size_t kept = 0;
  for (const auto& [branch, lines] : c.challenges) kept += lines.size();
  std::string lines;
  for (const auto id : {sip::HeaderId::www_authenticate, sip::HeaderId::proxy_authenticate}) {
    for (const sip::HeaderField* f = rsp.find(id); f != nullptr; f = rsp.next(*f)) {
      const std::string_view line = rsp.raw().substr(f->line_begin, f->line_end - f->line_begin);
      if (kept + lines.size() + line.size() > kMaxBytes) break;
      lines.append(line);
    }
  }
  if (!lines.empty()) c.challenges.emplace_back(bi, std::move(lines));
}

void Proxy::add_challenges(Call& c) {
  // §16.7 step 7: the chosen 401/407 carries every other 401/407's challenges, unmodified, so the
  // caller can answer all the realms at once. They go at the end of the header block.
  std::string extra;
  for (const auto& [branch, lines] : c.challenges) {
    if (branch != c.best_branch) extra += lines;
  }
  if (extra.empty()) return;
  std::size_t at = c.best.find("\r\n\r\n");
  if (at != std::string::npos) {
    at += 2;
  } else if ((at = c.best.find("\n\n")) != std::string::npos) {
    at += 1;
  } else {
    return;
  }
  c.best.insert(at, extra);
}

void Proxy::maybe_finish(Call& c) {
  if (c.final_sent) return;
  for (const auto& b : c.branches) {
    if (b.status == 0) return;
  }
  if (!c.six && !c.cancelled && fork_next_group(c)) return;
  c.final_sent = true;
  c.targets.clear();
  if (c.cancelled && c.best_status != 487) {
    table_->respond_487(c.server);
    return;
  }
  if (c.best_status == 0) {
    reply_call(c, 480, "Temporarily Unavailable");
    return;
  }
  const int status = upstream_status(c.best_status);
  if ((status == 401 || status == 407) && !c.best.empty()) add_challenges(c);
  if (!c.best.empty() && status == c.best_status && table_->respond(c.server, status, c.best)) {
    ++stats_.responses_forwarded;
    return;
  }
  reply_call(c, status, reason_of(status));  // synthesised, or the branch's would not go
}

}  // namespace duet::proxy
