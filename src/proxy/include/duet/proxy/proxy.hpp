// The transaction-stateful proxy of one worker loop (RFC 3261 §16 over the §17 transaction layer).
//
// A request is validated (§16.3), its Route headers addressed to us are removed (§16.4), its
// targets are found (§16.5: the location service for our domains, the Route set or Request-URI
// for in-dialog requests, the outbound gateway for other domains) and it is forwarded to each in a
// client transaction (§16.6), with Record-Route carrying both ends' flows. Responses are matched to
// their branch and the best one goes upstream (§16.7); CANCEL cancels every pending branch (§16.10).
//
// Everything lives on the loop that received the request: only the location lookup may hop to the
// worker owning the AOR (Environment::locate), and responses reach the worker whose branch they
// answer because the branch names it (response_owner()).
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "duet/dns/resolver.hpp"
#include "duet/proxy/location.hpp"
#include "duet/proxy/options.hpp"
#include "duet/proxy/routing_view.hpp"
#include "duet/sip/message.hpp"
#include "duet/sip/uri.hpp"
#include "duet/sip/writer.hpp"
#include "duet/transaction/table.hpp"
#include "duet/transport/runtime.hpp"
#include "duet/transport/source.hpp"

namespace duet::transport {
class Worker;
}

namespace duet::proxy {

struct RouteInfo;  // route_set.hpp

// What the proxy asks of the server around it.
class Environment {
 public:
  virtual ~Environment() = default;
  // A domain (or host) we are the proxy for: its users are looked up in the location service.
  virtual bool is_local_domain(std::string_view host) const = 0;
  // Looks up the AOR of a Request-URI (user@host, normalised as the registrar does). Returns true
  // with out filled when this worker owns the AOR; otherwise false, and Proxy::on_located(call, ...)
  // is called later on this worker. want_peer: also say whether the peer site holds the AOR.
  virtual bool locate(transport::Worker& w, const sip::Uri& ruri, bool want_peer, std::uint64_t call,
                      Location& out) = 0;
  // A call for an agent DN was answered (started) or ended here; calls are counted per DN so a
  // drain logs an agent out only once its calls are over. On this worker's thread.
  virtual void call_event(std::string_view /*dn*/, std::string_view /*call_id*/, bool /*started*/) {}
};

struct ProxyStats {
  std::uint64_t requests = 0;             // requests handed to the proxy (retransmissions included)
  std::uint64_t forwarded = 0;            // branches started
  std::uint64_t stateless = 0;            // ACKs and stray responses forwarded without a transaction
  std::uint64_t responses_forwarded = 0;  // responses sent upstream
  std::uint64_t not_found = 0, unavailable = 0, loops = 0, too_many_hops = 0, rejected = 0;
  std::uint64_t cancels = 0;
  std::uint64_t to_peer_redirect = 0, to_peer_proxied = 0, drain_refused = 0;
  std::uint64_t timer_c = 0;
  std::uint64_t peer_calls_ended = 0;    // calls through the peer ended by us when it died
  std::uint64_t from_strict_router = 0;  // requests rewritten to loose routing (§16.4)
  // DNS (RFC 3263) for next hops by host name: lookups made (cache misses), answers taken from the
  // cache, requests that waited for one, names that did not resolve (or could not be looked up).
  std::uint64_t dns_lookups = 0, dns_cache_hits = 0, dns_waits = 0, dns_unresolved = 0;
  std::uint64_t dns_failovers = 0;  // branches moved to the answer's next hop (RFC 3263 §4.3)
};

class Proxy final : public transaction::TransactionUser,
                    public transaction::Sender,
                    public transaction::Clock {
 public:
  // listeners: every bound address (their hosts go into Via and Record-Route).
  Proxy(transport::Worker& w, const ProxyOptions& opt, Environment& env,
        const std::vector<transport::BoundListener>& listeners);
  ~Proxy() override;
  Proxy(const Proxy&) = delete;
  Proxy& operator=(const Proxy&) = delete;

  // Every request the service does not answer itself (REGISTER and OPTIONS to us are its own).
  void on_request(const transport::Source& src, const sip::Message& msg);
  // A response whose branch names this worker (see response_owner()).
  void on_response(const transport::Source& src, const sip::Message& msg);
  // The answer of an Environment::locate() that returned false.
  void on_located(std::uint64_t call, Location loc);
  // The worker that sent the request a response answers, from the branch of its top Via; false if
  // the branch is not one of ours.
  static bool response_owner(const sip::Message& rsp, std::uint16_t& worker) noexcept;

  // The business-continuity snapshot calls are delivered by (null: a single site).
  void set_view(RoutingViewPtr v) noexcept { view_ = std::move(v); }
  const RoutingView* view() const noexcept { return view_.get(); }
  // A connection this worker opened to a next hop failed before it was up: the branches sent on
  // it end as a transport error (503 for the choice of response, §16.7), now.
  void on_connection_failed(const transport::Source& conn);
  // The peer site was declared down: calls in progress through its trunk are ended.
  void on_peer_down();

  // Stops the timer (worker stop). Transactions are dropped with the object.
  void close();

  const ProxyStats& stats() const noexcept { return stats_; }
  const transaction::TransactionTable& table() const noexcept { return *table_; }
  std::size_t calls() const noexcept { return live_calls_; }

  struct Call;  // proxy_calls.cpp

 private:
  // transaction::Sender, Clock, TransactionUser
  bool send(const transaction::Target& to, std::string_view bytes) override;
  std::uint64_t now_ms() const override;
  void on_timeout(transaction::TxnId id, std::uint64_t context) override;
  void on_transport_error(transaction::TxnId id, std::uint64_t context) override;
  void on_terminated(transaction::TxnId id, std::uint64_t context) override;

  struct Listener {
    transport::Proto proto;
    sockaddr_storage addr;
    std::string hostport;  // "127.0.0.1:5060", "[::1]:5060"
    // UDP with worker ports: this worker's own socket next to the listener, and its host:port.
    bool has_own = false;
    sockaddr_storage own{};
    std::string own_hostport;
    bool wildcard = false;  // bound to 0.0.0.0 or ::
  };
  const Listener* listener_for(transport::Proto p, int family) const noexcept;
  bool own_address(const sip::Uri& u) const noexcept;
  // §16.4: the Request-URI is a Record-Route URI of ours (signed flow tokens) and Route is not empty.
  bool from_strict_router(const sip::Message& msg) const;
  // Next hop for a URI (numeric host or localhost; port by default 5060/5061; transport param).
  // host_ip: the address to use instead of u's host (a configured name resolved at start).
  bool resolve(const sip::Uri& u, transport::Source& out, std::string_view host_ip = {}) const noexcept;
  // A next hop for u, RFC 3263 when its host is a name: found (out filled: the first hop we have a
  // listener for), pending (a lookup runs; on_resolved(waiter) when it ends), unresolved (no such
  // name, or no hop we can reach) or dns_failed (the lookup itself failed: try again later).
  enum class Reach : std::uint8_t { found, pending, unresolved, dns_failed };
  // alternatives: when not null, the answer's other usable hops, in order (at most kMaxAltHops).
  // tls_name: the name a TLS hop's certificate must carry (RFC 5922 §7.2: the URI's host), "" for a
  // numeric host (its address is checked).
  Reach reach(const sip::Uri& u, transport::Source& out, std::uint64_t waiter, std::string& tls_name,
              std::vector<transport::Source>* alternatives = nullptr);
  static constexpr std::size_t kMaxAltHops = 4;
  // reach() for the gateway: outbound_ when it is numeric, else its name located (outbound_ when the
  // lookup fails and there is an address from start).
  Reach reach_gateway(transport::Source& out, std::uint64_t waiter, std::string& tls_name,
                      std::vector<transport::Source>* alternatives = nullptr);
  // A lookup some request waited for has ended: the call (a Call context) is routed again, or a
  // parked ACK (kAckWaiter) handled again.
  void on_resolved(std::uint64_t waiter);
  static constexpr std::uint64_t kAckWaiter = std::uint64_t{1} << 63;
  static constexpr std::size_t kMaxParkedAcks = 1024;
  struct ParkedAck {
    std::string bytes;
    transport::Source src;
  };
  std::unordered_map<std::uint64_t, ParkedAck> parked_acks_;
  std::uint64_t next_ack_waiter_ = 0;
  // TCP/TLS to a next hop without a connection yet: this worker's connection to it (reused, or
  // opened now), into dst.conn_id. tls_name: what its certificate must name ("": the configured
  // gateway's or peer's name when dst is one of them, else dst's address). False if none could be
  // started.
  bool attach_connection(transport::Source& dst, const std::string& tls_name = {});
  // In-dialog: the flow the request goes to, from the flow tokens of our Record-Route (the end it
  // did not come from). False if the tokens name no flow for that end.
  // user/params: our Route's user part ("A~B~MAC") and URI parameters (dn).
  bool flow_from_tokens(std::string_view user, std::string_view params, const transport::Source& src,
                        transport::Source& out) const;
  // "Via: SIP/2.0/UDP host:port;branch=z9hG4bKdu<worker>.<hash>.<seq>\r\n" for a request to dst.
  // Over UDP to a fresh destination (not a flow a phone registered or called from, whose NAT
  // binding is with the listener: keep_flow), dst.local becomes this worker's own socket, so the
  // responses come back to this worker (TransportConfig::udp_worker_ports).
  // Our Via for a request to dst, into out; its branch is the last parameter, so that
  // branch_of_via_line(out) finds it.
  bool via_line(transport::Source& dst, bool keep_flow, std::uint32_t hash, std::string& out);
  static std::string_view branch_of_via_line(std::string_view via) noexcept;

  // proxy_requests.cpp
  void handle_ack(const transport::Source& src, const sip::Message& msg, const sip::ResponseViaFix& fix,
                  const transport::Source& reply_to);
  void handle_cancel(const transaction::ServerResult& r);
  void handle_new(transaction::TxnId id, const transport::Source& src, const sip::Message& msg,
                  const sip::ResponseViaFix& fix);
  // §16.5-16.6 from the Route set or Request-URI, for a new call or one whose DNS lookup ended.
  // ruri and routes: msg's, parsed and analysed by the caller.
  void route(Call& c, const sip::Message& msg, const sip::Uri& ruri, const RouteInfo& routes);
  bool check_request(transaction::TxnId id, const sip::Message& msg, const sip::Uri& ruri, std::uint32_t hash,
                     const sip::ResponseViaFix& fix);
  // Replies on a server transaction with a response built from req (extra: complete header lines).
  // False if nothing could be sent.
  bool reply(transaction::TxnId id, const sip::Message& req, const sip::ResponseViaFix& fix, int status,
             std::string_view reason, std::string_view extra = {});

  // proxy_calls.cpp
  Call* new_call();
  Call* call_of(std::uint64_t context) noexcept;
  void release(Call& c);
  // Releases c once it has nothing left to decide (see the definition).
  void release_if_done(Call& c);
  void deliver(Call& c, Location& loc);
  bool fork_next_group(Call& c);  // false: no branch could be started
  // keep_flow false: dst may leave from this worker's own UDP port (see via_line()); only for a
  // registered contact reached at its Contact address. Everything else (flows, Route hops, the
  // peer's trunk, gateways) leaves from the listener, the address the far end knows us by.
  bool start_branch(Call& c, const Contact* contact, const transport::Source& dst, std::string_view ruri,
                    bool keep_flow = true, bool to_next_route = false);
  void cancel_branches(Call& c, std::size_t except);
  void send_cancel(Call& c, std::size_t bi);
  void branch_final(Call& c, std::size_t bi, int status, const sip::Message* rsp);
  void maybe_finish(Call& c);
  // §16.7 step 7: a 401/407's challenge lines kept; added to the chosen 401/407.
  void keep_challenges(Call& c, std::size_t branch, const sip::Message& rsp);
  void add_challenges(Call& c);
  // The call's request, parsed: the request being routed when it is that one, otherwise the
  // server transaction's stored copy parsed into scratch_ (nullptr if it is gone).
  const sip::Message* server_request(const Call& c);
  void reply_call(Call& c, int status, std::string_view reason, std::string_view extra = {});
  void redirect_to_peer(Call& c, int status, std::string_view reason);

  // proxy_responses.cpp
  void forward_upstream(Call& c, const sip::Message& rsp, int status);
  void forward_stateless_response(const sip::Message& rsp);
  // The response without our top Via (and with Content-Length when it goes onto a stream).
  std::string_view strip_top_via(const sip::Message& rsp, bool to_stream);

  // A call answered through the peer's trunk: what it takes to end it from here (a BYE to the
  // local party, as the callee) if the peer dies under it.
  struct PeerDialog {
    std::string from, to;  // the caller's From, the 2xx's To (with the callee's tag)
    std::string contact;   // the caller's Contact URI: the BYE's Request-URI
    std::string route;     // "Route: ...\r\n" toward the caller (proxies before us), or ""
    transport::Source caller{};
  };
  void remember_peer_dialog(Call& c, const sip::Message& ok);
  std::unordered_map<std::string, PeerDialog> peer_dialogs_;  // by Call-ID
  static constexpr std::size_t kMaxPeerDialogs = 100000;

  void ensure_timer();
  void arm_timer();
  static void on_tick(uv_timer_t* t);

  transport::Worker& w_;
  ProxyOptions opt_;
  Environment& env_;
  std::vector<Listener> listeners_;
  std::string outbound_name_, peer_name_;  // their configured host names (TLS certificate check)
  std::unique_ptr<dns::Resolver> resolver_;
  std::uint8_t usable_transports_ = 0;          // dns::transport_bit of every listener's transport
  std::unique_ptr<sip::Message> resumed_;       // a stored request parsed again after DNS
  std::vector<sockaddr_storage> worker_ports_;  // every worker's own UDP sockets (our Vias' sent-by)
  std::unique_ptr<transaction::TransactionTable> table_;
  RoutingViewPtr view_;
  // The gateway ([proxy] outbound): a numeric host is outbound_ always; a name (outbound_by_name_)
  // is located per request like any other (outbound_uri_ views opt_.outbound), with outbound_ its
  // address at start, when it had one (outbound_fallback_), for when DNS fails.
  transport::Source outbound_{};
  sip::Uri outbound_uri_;
  bool has_outbound_ = false, outbound_by_name_ = false, outbound_fallback_ = false;
  transport::Source peer_trunk_{};
  std::string peer_hostport_;
  bool has_peer_ = false;
  std::vector<std::unique_ptr<Call>> calls_;
  std::vector<std::uint32_t> free_calls_;
  std::size_t live_calls_ = 0;
  std::uint64_t branch_seq_ = 0;
  uv_timer_t timer_{};
  bool timer_init_ = false, timer_active_ = false;
  bool strict_rewrite_ = false;  // on_request() is handling a request rewritten from strict routing
  std::uint64_t armed_ms_ = 0;   // when the armed timer fires (loop time, ms)
  sip::Message scratch_;         // a stored request re-parsed (forking after a lookup, CANCEL, replies)
  // The request being routed right now (handle_new, on_resolved), so that what its call does at
  // once (forward it, answer it) need not parse the stored copy again: see server_request().
  const sip::Message* routing_ = nullptr;
  // Sets routing_ for a scope, restoring what was there (also when the scope is left by an
  // exception).
  struct RoutingScope {
    RoutingScope(Proxy& p, const sip::Message& m) : slot(p.routing_), was(p.routing_) { slot = &m; }
    ~RoutingScope() { slot = was; }
    RoutingScope(const RoutingScope&) = delete;
    RoutingScope& operator=(const RoutingScope&) = delete;
    const sip::Message*& slot;
    const sip::Message* was;
  };
  std::string out_;                // bytes being built
  std::string reply_buf_;          // responses of our own
  std::uint64_t branch_salt_ = 0;  // random: our branches cannot be guessed from their counter
  ProxyStats stats_;
};

}  // namespace duet::proxy
