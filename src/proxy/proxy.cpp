// The proxy's frame: its listeners' addresses, next-hop resolution, the transaction table's clock,
// sender and timer, and what the table reports later (timeouts, transport errors, ends).
#include "duet/proxy/proxy.hpp"

#include <netinet/in.h>

#include <charconv>
#include <cstring>
#include <random>

#include "call.hpp"
#include "duet/sip/values.hpp"
#include "duet/transport/address.hpp"
#include "duet/transport/worker.hpp"
#include "route_set.hpp"

namespace duet::proxy {

namespace {

constexpr std::string_view kBranchPrefix = "z9hG4bKdu";

transaction::Options table_options(const ProxyOptions& o) {
  transaction::Options t = o.txn;
  // Timer C rides on the table's safety net for unanswered client INVITEs; the server side waits
  // a little longer so that the branch's 408 or 487 can still go upstream.
  t.unanswered_ms = o.timer_c_ms + 2 * o.txn.t1_ms + 1000;
  return t;
}

}  // namespace

Proxy::Proxy(transport::Worker& w, const ProxyOptions& opt, Environment& env,
             const std::vector<transport::BoundListener>& listeners)
    : w_(w), opt_(opt), env_(env) {
  auto hostport = [](const sockaddr_storage& a) {
    char ip[64];
    const std::string_view s = transport::sockaddr_ip(a, ip, sizeof ip);
    std::string hp = a.ss_family == AF_INET6 ? "[" + std::string(s) + "]" : std::string(s);
    return hp + ":" + std::to_string(transport::sockaddr_port(a));
  };
  for (const auto& l : listeners) {
    Listener x{l.proto, l.addr, hostport(l.addr)};
    {
      char ip[64];
      const std::string_view s = transport::sockaddr_ip(l.addr, ip, sizeof ip);
      x.wildcard = s == "0.0.0.0" || s == "::";
    }
    if (l.proto == transport::Proto::udp && w.own_udp_address(l.addr, x.own)) {
      x.has_own = true;
      x.own_hostport = hostport(x.own);
    }
    usable_transports_ |= dns::transport_bit(l.proto);
    listeners_.push_back(std::move(x));
    // Every worker's own port is ours too (a looped request may carry another worker's Via).
    // Bound before any worker runs and never changed, so reading them here is safe.
    for (std::size_t i = 0; l.proto == transport::Proto::udp && i < w.runtime().workers(); ++i) {
      sockaddr_storage a{};
      if (w.runtime().worker(i).own_udp_address(l.addr, a)) worker_ports_.push_back(a);
    }
  }
  table_ = std::make_unique<transaction::TransactionTable>(table_options(opt_), *this, *this, *this);
  std::random_device rd;
  branch_salt_ = (std::uint64_t{rd()} << 32) ^ rd();
  sip::Uri u;
  if (!opt_.outbound.empty() && sip::parse_uri(opt_.outbound, outbound_uri_)) {
    sockaddr_storage numeric{};
    const std::string_view host =
        !outbound_uri_.maddr.empty() ? outbound_uri_.maddr : outbound_uri_.host_unbracketed();
    outbound_by_name_ = !sip::iequals(host, "localhost") && !transport::make_sockaddr(host, 0, numeric);
    if (outbound_by_name_) {
      // As reach() names the hops it finds: lower case, no trailing dot.
      for (const char ch : host)
        outbound_name_.push_back(static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch));
      if (!outbound_name_.empty() && outbound_name_.back() == '.') outbound_name_.pop_back();
      // The start-time address stands in for a failed lookup only when it is what RFC 3263 would
      // use: the URI names a port, so A/AAAA decide (§4.2). Without one, NAPTR/SRV come first and
      // the domain's own address may be another host (its web server).
      outbound_fallback_ = outbound_uri_.has_port && !opt_.outbound_ip.empty() &&
                           resolve(outbound_uri_, outbound_, opt_.outbound_ip);
      has_outbound_ = true;
    } else {
      has_outbound_ = resolve(outbound_uri_, outbound_);
    }
  }
  if (!opt_.peer_sip.empty() && sip::parse_uri(opt_.peer_sip, u) && resolve(u, peer_trunk_, opt_.peer_ip)) {
    has_peer_ = true;
    if (!opt_.peer_ip.empty()) peer_name_ = std::string(u.host_unbracketed());
    peer_hostport_ = std::string(u.host);
    if (u.has_port) peer_hostport_ += ":" + std::to_string(u.port);
  }
  resolver_ = std::make_unique<dns::Resolver>(w_.loop(), std::make_shared<dns::SystemBackend>(opt_.dns),
                                              [this](std::uint64_t waiter) { on_resolved(waiter); });
  resumed_ = std::make_unique<sip::Message>();
  uv_timer_init(w_.loop(), &timer_);
  timer_.data = this;
  uv_unref(reinterpret_cast<uv_handle_t*>(&timer_));
  timer_init_ = true;
}

Proxy::~Proxy() = default;

void Proxy::close() {
  resolver_->close();
  parked_acks_.clear();
  if (!timer_init_) return;
  timer_init_ = false;
  uv_timer_stop(&timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
}

bool Proxy::response_owner(const sip::Message& rsp, std::uint16_t& worker) noexcept {
  std::string_view b = rsp.top_via().branch;
  if (b.size() <= kBranchPrefix.size() || b.substr(0, kBranchPrefix.size()) != kBranchPrefix) return false;
  b.remove_prefix(kBranchPrefix.size());
  const auto r = std::from_chars(b.data(), b.data() + b.size(), worker, 16);
  return r.ec == std::errc() && r.ptr != b.data() + b.size() && *r.ptr == '.';
}

const Proxy::Listener* Proxy::listener_for(transport::Proto p, int family) const noexcept {
  const Listener* any = nullptr;
  for (const auto& l : listeners_) {
    if (l.proto != p) continue;
    if (l.addr.ss_family == family) return &l;
    if (any == nullptr) any = &l;
  }
  return any;
}

bool Proxy::own_address(const sip::Uri& u) const noexcept {
  if (u.scheme != sip::UriScheme::sip && u.scheme != sip::UriScheme::sips) return false;
  sockaddr_storage addr{};
  std::string_view host = u.host_unbracketed();
  if (sip::iequals(host, "localhost")) host = "127.0.0.1";
  if (!transport::make_sockaddr(host, 0, addr)) {
    // A name: ours only as a served domain without a user part (a Route to "sip:example.com;lr").
    return !u.has_user && env_.is_local_domain(u.host);
  }
  const std::uint16_t port = u.port_or_default();
  for (const auto& a : worker_ports_) {
    if (transport::sockaddr_port(a) == port && transport::sockaddr_same_ip(a, addr)) return true;
  }
  for (const auto& l : listeners_) {
    if (transport::sockaddr_port(l.addr) != port) continue;
    if (transport::sockaddr_same_ip(l.addr, addr)) return true;
    // A wildcard listener: any address of ours; loopback is the one we can tell for sure.
    if (l.wildcard && (host.substr(0, 4) == "127." || host == "::1")) return true;
  }
  return false;
}

bool Proxy::resolve(const sip::Uri& u, transport::Source& out, std::string_view host_ip) const noexcept {
  if (u.scheme != sip::UriScheme::sip && u.scheme != sip::UriScheme::sips) return false;
  std::string_view host = !host_ip.empty() ? host_ip : !u.maddr.empty() ? u.maddr : u.host_unbracketed();
  if (sip::iequals(host, "localhost")) host = "127.0.0.1";
  out = {};
  if (!transport::make_sockaddr(host, u.port_or_default(), out.peer)) return false;
  out.proto = transport::Proto::udp;
  if (u.scheme == sip::UriScheme::sips || sip::iequals(u.transport, "tls")) {
    out.proto = transport::Proto::tls;
  } else if (sip::iequals(u.transport, "tcp")) {
    out.proto = transport::Proto::tcp;
  }
  const Listener* l = listener_for(out.proto, out.peer.ss_family);
  if (l == nullptr) return false;
  out.local = l->addr;
  out.worker = w_.index();
  return true;
}

bool Proxy::attach_connection(transport::Source& dst, const std::string& tls_name) {
  if (dst.proto == transport::Proto::udp || dst.conn_id != 0) return true;
  // The certificate of a configured next hop must carry the name it was configured by; any other
  // hop (a numeric URI) its address.
  const std::string* name = &tls_name;
  // The gateway: reached under its name (reach_gateway() names every hop it finds so), or at its
  // address when it is numeric.
  const bool gateway =
      has_outbound_ &&
      (outbound_by_name_ ? tls_name == outbound_name_
                         : tls_name.empty() && transport::sockaddr_equal(dst.peer, outbound_.peer));
  const bool trunk = has_peer_ && transport::sockaddr_equal(dst.peer, peer_trunk_.peer);
  if (tls_name.empty() && trunk) name = &peer_name_;
  // Configured hops, reached under their configured names, have connections kept for them past the
  // cap (Worker::kReservedConnections); another name pointing at their address does not.
  const bool reserved = gateway || (trunk && name == &peer_name_);
  dst.conn_id = w_.connect(dst, *name, reserved);
  dst.worker = w_.index();
  return dst.conn_id != 0;
}

Proxy::Reach Proxy::reach(const sip::Uri& u, transport::Source& out, std::uint64_t waiter,
                          std::string& tls_name, std::vector<transport::Source>* alternatives) {
  if (alternatives != nullptr) alternatives->clear();
  tls_name.clear();
  if (u.scheme != sip::UriScheme::sip && u.scheme != sip::UriScheme::sips) return Reach::unresolved;
  if (resolve(u, out)) return Reach::found;  // a numeric host (or localhost)
  std::string_view host = !u.maddr.empty() ? u.maddr : u.host_unbracketed();
  sockaddr_storage numeric{};
  if (host.empty() || transport::make_sockaddr(host, 0, numeric)) return Reach::unresolved;  // no listener
  dns::Query q;
  q.sips = u.scheme == sip::UriScheme::sips;
  if (host.back() == '.') host.remove_suffix(1);  // fully qualified already
  q.host.reserve(host.size());
  for (const char ch : host) q.host.push_back(static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch));
  q.port = u.has_port ? u.port : 0;
  q.usable = usable_transports_;
  for (const char ch : u.transport)
    q.transport.push_back(static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch));
  const dns::Answer* a = resolver_->find(q, waiter);
  const auto& rs = resolver_->stats();
  stats_.dns_lookups = rs.lookups;
  stats_.dns_cache_hits = rs.cache_hits;
  if (a == nullptr) {
    ++stats_.dns_waits;
    return Reach::pending;
  }
  bool found = false;
  for (const auto& h : a->hops) {
    // A hop we can send to: a listener of its transport and address family (our Via names it).
    const Listener* l = nullptr;
    for (const auto& x : listeners_) {
      if (x.proto == h.proto && x.addr.ss_family == h.addr.ss_family) {
        l = &x;
        break;
      }
    }
    if (l == nullptr) continue;
    transport::Source hop{};
    hop.proto = h.proto;
    hop.peer = h.addr;
    hop.local = l->addr;
    hop.worker = w_.index();
    if (!found) {
      out = hop;
      found = true;
      if (alternatives == nullptr) break;
    } else if (alternatives->size() < kMaxAltHops) {
      alternatives->push_back(hop);
    } else {
      break;
    }
  }
  if (found) {
    tls_name = q.host;  // every hop of the answer answers for the URI's host
    return Reach::found;
  }
  ++stats_.dns_unresolved;
  return a->temporary ? Reach::dns_failed : Reach::unresolved;
}

Proxy::Reach Proxy::reach_gateway(transport::Source& out, std::uint64_t waiter, std::string& tls_name,
                                  std::vector<transport::Source>* alternatives) {
  if (!outbound_by_name_) {
    if (alternatives != nullptr) alternatives->clear();
    tls_name.clear();
    out = outbound_;
    return Reach::found;
  }
  const Reach r = reach(outbound_uri_, out, waiter, tls_name, alternatives);
  if ((r == Reach::unresolved || r == Reach::dns_failed) && outbound_fallback_) {
    // The name had an address when we started: better that than no way out of the site.
    out = outbound_;
    tls_name = outbound_name_;
    return Reach::found;
  }
  return r;
}

void Proxy::on_resolved(std::uint64_t waiter) {
  transport::Worker::Batch batch(w_);
  if ((waiter & kAckWaiter) != 0) {
    const auto it = parked_acks_.find(waiter);
    if (it != parked_acks_.end()) {
      const ParkedAck ack = std::move(it->second);
      parked_acks_.erase(it);
      sip::Message m;
      if (sip::parse(ack.bytes, m, {.mode = sip::Framing::datagram}).status == sip::ParseStatus::ok) {
        on_request(ack.src, m);
      }
      return;
    }
  }
  Call* c = call_of(waiter);
  if (c == nullptr || !c->dns_pending) return;
  c->dns_pending = false;
  if (c->final_sent) return;  // cancelled or timed out meanwhile
  const std::string_view req = table_->request(c->server);
  sip::Uri ruri;
  RouteInfo routes;
  if (req.empty() || sip::parse(req, *resumed_).status != sip::ParseStatus::ok ||
      !sip::parse_uri(resumed_->request_uri(), ruri) ||
      (routes = analyse_routes(*resumed_, [this](const sip::Uri& u) { return own_address(u); })).malformed) {
    // Checked when it came in: cannot happen, but the caller must not be left without an answer.
    reply_call(*c, 500, "Server Internal Error");
    ensure_timer();
    return;
  }
  const RoutingScope routing(*this, *resumed_);
  route(*c, *resumed_, ruri, routes);
  ensure_timer();
}

void Proxy::on_connection_failed(const transport::Source& conn) {
  transport::Worker::Batch batch(w_);
  table_->connection_failed(conn.conn_id);
  ensure_timer();
}

bool Proxy::send(const transaction::Target& to, std::string_view bytes) {
  return w_.send(to, bytes);
}

std::uint64_t Proxy::now_ms() const {
  return w_.now_ms();
}

// The worker sleeps until the transaction table's next timer is due rather than waking every
// tick: at 500 calls/s a 10 ms tick alone woke each worker 100 times a second, 10-15 µs each.
void Proxy::ensure_timer() {
  if (!timer_init_) return;
  // Armed already, and nothing was scheduled before that: nothing to do (the common case: a
  // message handled while only the end-of-life timers, seconds away, are pending).
  if (timer_active_ && table_->timer_hint_ms() >= armed_ms_) return;
  arm_timer();
}

void Proxy::arm_timer() {
  table_->reset_timer_hint();
  const std::uint64_t due = table_->next_timer_ms();
  if (due == transaction::TimerWheel::kNever) {
    if (timer_active_) uv_timer_stop(&timer_);
    timer_active_ = false;
    return;
  }
  const std::uint64_t now = uv_now(w_.loop());
  uv_timer_start(&timer_, &Proxy::on_tick, due > now ? due - now : 0, 0);
  armed_ms_ = due;
  timer_active_ = true;
}

void Proxy::on_tick(uv_timer_t* t) {
  auto* self = static_cast<Proxy*>(t->data);
  uv_update_time(t->loop);
  {
    // Retransmissions and 100 Trying due on this tick leave together.
    transport::Worker::Batch batch(self->w_);
    self->table_->run_timers();
  }
  self->timer_active_ = false;
  self->arm_timer();
}

void Proxy::on_timeout(transaction::TxnId id, std::uint64_t context) {
  Call* c = call_of(context);
  if (c == nullptr) return;
  if (context_branch(context) == kServerSide) {
    // Nobody answered for longer than Timer C: the caller gets a 408 and the branches a CANCEL.
    if (!c->final_sent && table_->state(id) != transaction::State::terminated) {
      cancel_branches(*c, kServerSide);
      reply_call(*c, 408, "Request Timeout");
    }
    return;
  }
  if (context_cancel(context)) return;
  const std::size_t bi = context_branch(context);
  if (bi >= c->branches.size()) return;
  Branch& b = c->branches[bi];
  if (b.status != 0) return;
  if (b.provisional && c->invite && table_->state(id) == transaction::State::proceeding) {
    // Timer C (§16.6 step 11): cancel the branch; its final response counts as a 408.
    ++stats_.timer_c;
    b.timed_out = true;
    send_cancel(*c, bi);
    return;
  }
  branch_final(*c, bi, 408, nullptr);  // Timer B/F: as if a 408 came (§16.7 step 2)
  release_if_done(*c);
}

void Proxy::on_transport_error(transaction::TxnId, std::uint64_t context) {
  Call* c = call_of(context);
  if (c == nullptr || context_cancel(context)) return;
  const std::size_t bi = context_branch(context);
  if (bi == kServerSide || bi >= c->branches.size() || c->branches[bi].status != 0) return;
  branch_final(*c, bi, 503, nullptr);  // §16.7 step 2 / §17.1.4
  release_if_done(*c);
}

void Proxy::on_terminated(transaction::TxnId id, std::uint64_t context) {
  Call* c = call_of(context);
  if (c == nullptr) return;
  if (context_branch(context) == kServerSide && c->server == id) {
    release(*c);
    return;
  }
  if (context_cancel(context)) return;
  const std::size_t bi = context_branch(context);
  if (bi < c->branches.size() && c->branches[bi].txn == id && c->branches[bi].status == 0) {
    branch_final(*c, bi, 408, nullptr);  // ended without a final response (should not happen)
  }
}

}  // namespace duet::proxy
