// The stateful proxy inside the real SipService, on loopback: phones are UDP (or TCP) sockets that
// register, then calls go through duet and every hop is checked on the wire (RFC 3261 §16).
#include <gtest/gtest.h>

#include <algorithm>

#include <chrono>
#include <cstdio>
#include <initializer_list>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "dns_wire.hpp"
#include "duet/sip/header_id.hpp"
#include "duet/sip/values.hpp"
#include "duet/sip/via.hpp"
#include "service_fixture.hpp"

namespace duet::server::test {
namespace {

using Clock = std::chrono::steady_clock;

config::Config proxy_config(unsigned workers, bool serial_by_q = true) {
  config::Config c;
  c.workers = workers;
  c.registrar.domains = {"example.com"};
  c.proxy.serial_by_q = serial_by_q;
  return c;
}

// A parsed request or response that owns its bytes.
struct Sip {
  std::string text;
  sip::Message msg;
  bool ok = false;
};

std::unique_ptr<Sip> parse_sip(const std::string& text) {
  auto p = std::make_unique<Sip>();
  p->text = text;
  p->ok = !text.empty() && sip::parse(p->text, p->msg, {}).status == sip::ParseStatus::ok;
  return p;
}

std::vector<std::string> values(const sip::Message& m, sip::HeaderId id) {
  std::vector<std::string> out;
  sip::for_each_value(m, id, [&](std::string_view v) {
    out.emplace_back(v);
    return true;
  });
  return out;
}

bool is_request(const Sip& s, sip::Method m) {
  return s.ok && s.msg.is_request() && s.msg.method_id() == m;
}
bool is_response(const Sip& s, int status, std::string_view cseq_method) {
  return s.ok && s.msg.is_response() && s.msg.status_code() == status && s.msg.cseq_method() == cseq_method;
}
bool is_final(const Sip& s, std::string_view cseq_method) {
  return s.ok && s.msg.is_response() && s.msg.status_code() >= 200 && s.msg.cseq_method() == cseq_method;
}

// The next message on c that pred accepts; the others (100 Trying, retransmissions, ...) are
// skipped. Null after timeout_ms.
template <class Client, class Pred>
std::unique_ptr<Sip> wait_for(Client& c, Pred pred, int timeout_ms = 2000) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (int i = 0; i < 100; ++i) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) break;
    auto s = parse_sip(c.recv(static_cast<int>(left)));
    if (s->text.empty()) break;
    if (pred(*s)) return s;
  }
  return nullptr;
}

template <class Client>
std::unique_ptr<Sip> wait_request(Client& c, sip::Method m, int timeout_ms = 2000) {
  return wait_for(
      c, [m](const Sip& s) { return is_request(s, m); }, timeout_ms);
}
template <class Client>
std::unique_ptr<Sip> wait_response(Client& c, int status, std::string_view method, int timeout_ms = 2000) {
  return wait_for(
      c, [&](const Sip& s) { return is_response(s, status, method); }, timeout_ms);
}
template <class Client>
std::unique_ptr<Sip> wait_final(Client& c, std::string_view method, int timeout_ms = 2000) {
  return wait_for(
      c, [&](const Sip& s) { return is_final(s, method); }, timeout_ms);
}

std::string ip_of(const UdpClient& c) {
  return c.ip;
}

std::string contact_of(const std::string& user, std::uint16_t port, const std::string& ip = "127.0.0.1") {
  return "sip:" + user + "@" + ip + ":" + std::to_string(port);
}
template <class Phone>
std::string contact_of(const std::string& user, const Phone& phone) {
  return contact_of(user, phone.port, ip_of(phone));
}

// Registers user@example.com with the phone's socket as its contact (contact_params: ";q=0.5").
template <class Phone>
bool register_phone(Service& s, Phone& phone, const std::string& user, const std::string& contact_params = "",
                    std::uint32_t cseq = 1) {
  const std::string port = std::to_string(phone.port);
  std::string r = "REGISTER sip:example.com SIP/2.0\r\n";
  r += "Via: SIP/2.0/UDP " + ip_of(phone) + ":" + port + ";branch=z9hG4bKreg" + port + ";rport\r\n";
  r += "Max-Forwards: 70\r\n";
  r += "To: <sip:" + user + "@example.com>\r\n";
  r += "From: <sip:" + user + "@example.com>;tag=r" + port + "\r\n";
  r += "Call-ID: reg-" + user + "-" + port + "@" + ip_of(phone) + "\r\n";
  r += "CSeq: " + std::to_string(cseq) + " REGISTER\r\n";
  r += "Contact: <" + contact_of(user, phone) + ">" + contact_params + "\r\n";
  r += "Expires: 600\r\n";
  r += "Content-Length: 0\r\n\r\n";
  phone.send(s.udp_port, r);
  auto ok = wait_final(phone, "REGISTER");
  return ok != nullptr && ok->msg.status_code() == 200;
}

// The caller's side of a dialog.
struct Caller {
  std::string transport = "UDP";
  std::uint16_t port = 0;
  std::string ruri = "sip:bob@example.com";
  std::string to = "<sip:bob@example.com>";
  std::string call_id;
  std::string from_tag = "a1";
  std::string branch;
  std::uint32_t cseq = 1;
};

Caller caller_for(std::uint16_t port, const std::string& name, const std::string& transport = "UDP") {
  Caller c;
  c.transport = transport;
  c.port = port;
  c.call_id = name + "-" + std::to_string(port) + "@127.0.0.1";
  c.branch = "z9hG4bK" + name + std::to_string(port);
  return c;
}

// alice calling carol in a domain we do not serve (through the gateway).
Caller foreign_caller(std::uint16_t port, const std::string& name) {
  Caller c = caller_for(port, name);
  c.ruri = "sip:carol@other.org";
  c.to = "<sip:carol@other.org>";
  return c;
}

std::string via_of(const Caller& c, const std::string& branch) {
  return "SIP/2.0/" + c.transport + " 127.0.0.1:" + std::to_string(c.port) + ";branch=" + branch + ";rport";
}

// The caller's Via as duet passes it on, in requests and in the responses that come back, and in
// responses duet makes itself (RFC 3261 §18.2.1, RFC 3581 §4: received is added with rport, even
// when it equals the sent-by host).
std::string received_via(const Caller& c, const std::string& branch) {
  return "SIP/2.0/" + c.transport + " 127.0.0.1:" + std::to_string(c.port) + ";branch=" + branch +
         ";received=127.0.0.1;rport=" + std::to_string(c.port);
}

// A request of the caller's dialog. to_tag: "" for the initial INVITE and its CANCEL.
std::string caller_request(const Caller& c, const std::string& method, const std::string& ruri,
                           const std::string& branch, std::uint32_t cseq, const std::string& to_tag = "",
                           const std::string& extra = "", int max_forwards = 70) {
  std::string s = method + " " + ruri + " SIP/2.0\r\n";
  s += "Via: " + via_of(c, branch) + "\r\n";
  s += "Max-Forwards: " + std::to_string(max_forwards) + "\r\n";
  s += extra;
  s += "From: <sip:alice@example.com>;tag=" + c.from_tag + "\r\n";
  s += "To: " + c.to + (to_tag.empty() ? "" : ";tag=" + to_tag) + "\r\n";
  s += "Call-ID: " + c.call_id + "\r\n";
  s += "CSeq: " + std::to_string(cseq) + " " + method + "\r\n";
  if (method == "INVITE") {
    std::string contact = "sip:alice@127.0.0.1:" + std::to_string(c.port);
    if (c.transport == "TCP") contact += ";transport=tcp";
    s += "Contact: <" + contact + ">\r\n";
  }
  s += "Content-Length: 0\r\n\r\n";
  return s;
}

std::string invite(const Caller& c, const std::string& extra = "", int max_forwards = 70) {
  return caller_request(c, "INVITE", c.ruri, c.branch, c.cseq, "", extra, max_forwards);
}

// bob registered from each phone, then the caller's INVITE forked in parallel to them all: the
// INVITE each phone received, in the phones' order (null where none came), or nothing if a
// registration failed.
std::vector<std::unique_ptr<Sip>> fork_invite(Service& s, UdpClient& caller_socket,
                                              std::initializer_list<UdpClient*> phones, const Caller& c) {
  for (auto* p : phones) {
    if (!register_phone(s, *p, "bob")) return {};
  }
  caller_socket.send(s.udp_port, invite(c));
  std::vector<std::unique_ptr<Sip>> received;
  for (auto* p : phones) received.push_back(wait_request(*p, sip::Method::invite));
  return received;
}

// The CANCEL of the caller's INVITE (§9.1: same Request-URI, Via branch, From, To, Call-ID and
// CSeq number).
std::string cancel(const Caller& c) {
  return caller_request(c, "CANCEL", c.ruri, c.branch, c.cseq);
}

// The ACK of a non-2xx final response to the caller's INVITE (§17.1.1.3: same branch).
std::string ack_non2xx(const Caller& c, const std::string& to_tag) {
  return caller_request(c, "ACK", c.ruri, c.branch, c.cseq, to_tag);
}

// A UA's response to a request it received: its Vias, Record-Route, From, To (with to_tag added
// when it has none), Call-ID and CSeq, then extra lines.
std::string response_to(const sip::Message& req, int status, const std::string& reason,
                        const std::string& to_tag, const std::string& extra = "") {
  std::string s = "SIP/2.0 " + std::to_string(status) + " " + reason + "\r\n";
  const std::string_view raw = req.raw();
  for (std::uint16_t i = 0; i < req.header_count(); ++i) {
    const sip::HeaderField& f = req.field(i);
    std::string line(raw.substr(f.line_begin, f.line_end - f.line_begin));
    switch (f.id) {
      case sip::HeaderId::to:
        if (req.to().tag.empty() && !to_tag.empty() && status > 100) {
          line.insert(line.size() - 2, ";tag=" + to_tag);
        }
        [[fallthrough]];
      case sip::HeaderId::via:
      case sip::HeaderId::record_route:
      case sip::HeaderId::from:
      case sip::HeaderId::call_id:
      case sip::HeaderId::cseq:
        s += line;
        break;
      default:
        break;
    }
  }
  s += extra;
  s += "Content-Length: 0\r\n\r\n";
  return s;
}

// The next hop answers req (received on hop) with a final status; the caller must get that final
// status for the same method (§16.7: the only branch's answer goes upstream).
template <class Hop, class Caller_>
testing::AssertionResult caller_gets(const Service& s, Hop& hop, const sip::Message& req, int status,
                                     const std::string& reason, const std::string& to_tag, Caller_& caller) {
  hop.send(s.udp_port, response_to(req, status, reason, to_tag));
  const auto r = wait_final(caller, req.cseq_method());
  if (r == nullptr) return testing::AssertionFailure() << "no final response for " << req.cseq_method();
  if (r->msg.status_code() != status)
    return testing::AssertionFailure() << "the caller got " << r->msg.status_code() << ", not " << status;
  return testing::AssertionSuccess();
}

// duet's Via: its address, a port of its own (the listener's, or over UDP the sending worker's
// own port: [proxy] worker_ports) and a branch of its own.
bool is_own_via(const std::string& via, const char* transport = "UDP") {
  const std::string head = std::string("SIP/2.0/") + transport + " 127.0.0.1:";
  return via.rfind(head, 0) == 0 && via.find(";branch=z9hG4bKdu") != std::string::npos;
}
std::uint16_t via_port(const std::string& via) {
  const auto colon = via.find(':');
  return static_cast<std::uint16_t>(std::stoi(via.substr(colon + 1)));
}

// ---- Requests refused by the proxy itself ----

TEST(ProxyService, UnregisteredUserIs404AfterTrying) {
  Service s(proxy_config(2));
  UdpClient alice;
  const Caller c = caller_for(alice.port, "nf");
  alice.send(s.udp_port, invite(c));
  auto trying = parse_sip(alice.recv());
  ASSERT_TRUE(trying->ok);
  EXPECT_EQ(trying->msg.status_code(), 100);  // §16.2: at once, before the lookup
  auto r = wait_final(alice, "INVITE");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->msg.status_code(), 404);
  EXPECT_FALSE(r->msg.to().tag.empty());
  EXPECT_EQ(values(r->msg, sip::HeaderId::via), (std::vector<std::string>{received_via(c, c.branch)}));
  // The non-2xx ACK is absorbed by the transaction: no retransmission of the 404 follows.
  alice.send(s.udp_port, ack_non2xx(c, std::string(r->msg.to().tag)));
  EXPECT_TRUE(alice.recv(600).empty());
}

TEST(ProxyService, MaxForwardsZeroIs483) {
  Service s(proxy_config(1));
  UdpClient bob, alice;
  ASSERT_TRUE(register_phone(s, bob, "bob"));
  const Caller c = caller_for(alice.port, "mf");
  alice.send(s.udp_port, invite(c, "", 0));
  auto r = wait_final(alice, "INVITE");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->msg.status_code(), 483);
  EXPECT_TRUE(bob.recv(200).empty());  // not forwarded
  // Max-Forwards 1 is still forwarded, with 0.
  Caller c1 = caller_for(alice.port, "mf1");
  alice.send(s.udp_port, invite(c1, "", 1));
  auto inv = wait_request(bob, sip::Method::invite);
  ASSERT_NE(inv, nullptr);
  EXPECT_EQ(inv->msg.max_forwards(), 0);
}

// An INVITE with these Proxy-Require fields to a registered bob: 420 with one Unsupported field
// listing `tags`, and nothing reaches bob.
void expect_420(std::string_view proxy_require, std::string_view tags, const char* call) {
  Service s(proxy_config(1));
  UdpClient bob, alice;
  ASSERT_TRUE(register_phone(s, bob, "bob"));
  const Caller c = caller_for(alice.port, call);
  alice.send(s.udp_port, invite(c, std::string(proxy_require)));
  auto r = wait_final(alice, "INVITE");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->msg.status_code(), 420);
  EXPECT_EQ(r->msg.header(sip::HeaderId::unsupported), tags);
  EXPECT_EQ(r->msg.count(sip::HeaderId::unsupported), 1u);
  EXPECT_TRUE(bob.recv(200).empty());
}

TEST(ProxyService, ProxyRequireIs420WithUnsupported) {
  expect_420("Proxy-Require: foo, bar\r\n", "foo, bar", "pr");
}

TEST(ProxyService, ProxyRequireInSeveralFieldsListsEveryTagIn420) {
  // RFC 3261 §16.3 step 5 (RFC 4475 §3.3.5): every option tag not understood is listed, whichever
  // Proxy-Require field it came in (the 420 used to list the first field's only).
  expect_420("Proxy-Require: foo\r\nProxy-Require: bar,\r\n baz\r\n", "foo, bar, baz", "pr2");
}

TEST(ProxyService, MailtoRequestUriIs416) {
  Service s(proxy_config(1));
  UdpClient alice;
  Caller c = caller_for(alice.port, "mt");
  c.ruri = "mailto:bob@example.com";
  alice.send(s.udp_port, invite(c));
  auto r = wait_final(alice, "INVITE");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->msg.status_code(), 416);
}

TEST(ProxyService, ForeignDomainWithoutOutboundIs403) {
  Service s(proxy_config(1));
  UdpClient alice;
  Caller c = foreign_caller(alice.port, "fd");
  alice.send(s.udp_port, invite(c));
  auto r = wait_final(alice, "INVITE");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->msg.status_code(), 403);
  // A numeric host that is not ours is not relayed either.
  Caller n = caller_for(alice.port, "fd2");
  n.ruri = "sip:carol@192.0.2.1:5060";
  alice.send(s.udp_port, invite(n));
  auto r2 = wait_final(alice, "INVITE");
  ASSERT_NE(r2, nullptr);
  EXPECT_EQ(r2->msg.status_code(), 403);
}

TEST(ProxyService, LoopedRequestIs482) {
  Service s(proxy_config(1));
  UdpClient bob, alice;
  ASSERT_TRUE(register_phone(s, bob, "bob"));
  const Caller c = caller_for(alice.port, "lp");
  alice.send(s.udp_port, invite(c));
  auto inv = wait_request(bob, sip::Method::invite);
  ASSERT_NE(inv, nullptr);
  bob.send(s.udp_port, response_to(inv->msg, 180, "Ringing", "b1"));
  // bob sends the INVITE back to duet (as a misconfigured forwarder would): its own Via on top,
  // duet's below it, and the same identity (the Request-URI it was addressed with).
  std::string looped = inv->text;
  const std::string bob_via =
      "Via: SIP/2.0/UDP 127.0.0.1:" + std::to_string(bob.port) + ";branch=z9hG4bKloop;rport\r\n";
  looped.insert(looped.find("\r\n") + 2, bob_via);
  const std::string rewritten = std::string(inv->msg.request_uri());
  looped.replace(looped.find(rewritten), rewritten.size(), c.ruri);
  bob.send(s.udp_port, looped);
  auto r = wait_final(bob, "INVITE");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->msg.status_code(), 482);
  const auto vias = values(r->msg, sip::HeaderId::via);
  ASSERT_EQ(vias.size(), 3u);  // the answer to bob's request carries its Vias
  EXPECT_NE(vias[0].find("branch=z9hG4bKloop"), std::string::npos);
}

// ---- Calls ----

// alice INVITEs bob@example.com; returns the INVITE bob received (null: none within 2 s).
template <class Phone>
std::unique_ptr<Sip> call(Service& s, UdpClient& alice, Phone& bob, const Caller& c) {
  alice.send(s.udp_port, invite(c));
  return wait_request(bob, sip::Method::invite);
}

// The callee answers the INVITE it received with a 200 carrying its Contact (user@its socket) and
// to_tag, sent to port (0: the listener); the 200 the caller then gets, or null.
template <class Client, class Phone>
std::unique_ptr<Sip> answer_ok(Service& s, Client& alice, Phone& bob, const sip::Message& inv,
                               const std::string& user = "bob", const std::string& to_tag = "b1",
                               std::uint16_t port = 0) {
  bob.send(port != 0 ? port : s.udp_port,
           response_to(inv, 200, "OK", to_tag, "Contact: <" + contact_of(user, bob) + ">\r\n"));
  return wait_response(alice, 200, "INVITE");
}

// A call set up through duet: alice's INVITE reached bob and bob's 200 reached alice, with one
// Record-Route (ours). record_route is its value and route the Route line in-dialog requests carry.
// answered is false (and the test has failed) if any of that did not happen.
struct AnsweredCall {
  std::unique_ptr<Sip> inv, ok;
  std::string record_route, route;
  bool answered = false;
};

template <class Phone>
AnsweredCall answered_call(Service& s, UdpClient& alice, Phone& bob, const Caller& c) {
  AnsweredCall a;
  a.inv = call(s, alice, bob, c);
  if (a.inv == nullptr) {
    ADD_FAILURE() << "the INVITE did not reach the callee";
    return a;
  }
  a.ok = answer_ok(s, alice, bob, a.inv->msg);
  if (a.ok == nullptr) {
    ADD_FAILURE() << "the 200 did not reach the caller";
    return a;
  }
  const auto rr = values(a.ok->msg, sip::HeaderId::record_route);
  if (rr.size() != 1u) {
    ADD_FAILURE() << "the 200 carries " << rr.size() << " Record-Route values, not 1";
    return a;
  }
  a.record_route = rr[0];
  a.route = "Route: " + rr[0] + "\r\n";
  a.answered = true;
  return a;
}

// A Route naming us with a flow token we did not sign (RFC 5626 §5.2) is not obeyed: the request
// goes by its Request-URI, not into the flow the forger named.
TEST(ProxyService, ForgedFlowTokenIsNotObeyed) {
  Service s(proxy_config(1));
  UdpClient bob, alice, victim;
  ASSERT_TRUE(register_phone(s, bob, "bob"));
  const Caller c = caller_for(alice.port, "forged");
  char hexport[8];
  std::snprintf(hexport, sizeof hexport, "%x", victim.port);
  const std::string forged = "Route: <sip:u0.0.7f000001." + std::string(hexport) + "~u0.0.7f000001." +
                             std::string(hexport) +
                             "~0000000000000000@127.0.0.1:" + std::to_string(s.udp_port) + ";lr>\r\n";
  alice.send(s.udp_port, caller_request(c, "BYE", contact_of("bob", bob), "z9hG4bKforged", 2, "t1", forged));
  auto bye = wait_request(bob, sip::Method::bye, 1000);
  ASSERT_NE(bye, nullptr) << "the BYE should have gone to its Request-URI";
  EXPECT_TRUE(victim.recv(200).empty()) << "the forged token's flow got the request";
}

// [proxy] worker_ports: the INVITE leaves from the sending worker's own port, named in its Via, so a
// callee answering "to the Via" (§18.2.2) reaches that worker directly; with it off, the listener.
TEST(ProxyService, ResponsesToTheViaOfAWorkersOwnPortComeBack) {
  for (const bool own : {true, false}) {
    auto cfg = proxy_config(2);
    cfg.proxy.worker_ports = own;
    Service s(cfg);
    UdpClient bob, alice;
    ASSERT_TRUE(register_phone(s, bob, "bob"));
    const Caller c = caller_for(alice.port, own ? "own" : "listener");
    alice.send(s.udp_port, invite(c));
    auto inv = wait_request(bob, sip::Method::invite);
    ASSERT_NE(inv, nullptr);
    const auto vias = values(inv->msg, sip::HeaderId::via);
    ASSERT_EQ(vias.size(), 2u);
    const std::uint16_t port = via_port(vias[0]);
    if (own) {
      EXPECT_NE(port, s.udp_port) << vias[0];
    } else {
      EXPECT_EQ(port, s.udp_port) << vias[0];
    }
    bob.send(port, response_to(inv->msg, 486, "Busy Here", "b1"));
    auto busy = wait_final(alice, "INVITE");
    ASSERT_NE(busy, nullptr) << "the 486 sent to " << vias[0];
    EXPECT_EQ(busy->msg.status_code(), 486);
  }
}

// ---- Next hops over TCP ----

// A site whose gateway for other domains is gw, over TCP.
config::Config tcp_gateway_config(const TcpServer& gw, unsigned workers) {
  config::Config cfg = proxy_config(workers);
  cfg.proxy.outbound = "sip:127.0.0.1:" + std::to_string(gw.port) + ";transport=tcp";
  return cfg;
}

// A gateway on TCP that no connection leads to yet: duet opens one (RFC 3261 §18.1.1), sends the
// INVITE on it with a TCP Via and a Content-Length, takes the responses from it, and sends the next
// call's INVITE on the same connection instead of opening another.
TEST(ProxyService, OutboundGatewayOnTcpIsReachedOverAConnectionDuetOpens) {
  TcpServer gw;
  ASSERT_TRUE(gw.listening);
  UdpClient alice;
  Service s(tcp_gateway_config(gw, 2));
  for (const char* name : {"tcpgw1", "tcpgw2"}) {
    const Caller c = foreign_caller(alice.port, name);
    alice.send(s.udp_port, invite(c));
    if (gw.accepted == 0) {
      ASSERT_TRUE(gw.accept()) << "duet opened no connection to the gateway";
    }
    auto inv = wait_request(gw, sip::Method::invite);
    ASSERT_NE(inv, nullptr) << name;
    EXPECT_EQ(inv->msg.request_uri(), "sip:carol@other.org");
    const auto vias = values(inv->msg, sip::HeaderId::via);
    ASSERT_EQ(vias.size(), 2u);
    EXPECT_TRUE(is_own_via(vias[0], "TCP")) << vias[0];
    EXPECT_EQ(via_port(vias[0]), s.tcp_port) << vias[0];
    EXPECT_TRUE(inv->msg.has_content_length());
    gw.send(response_to(inv->msg, 180, "Ringing", "g1"));
    ASSERT_NE(wait_response(alice, 180, "INVITE"), nullptr) << name;
    gw.send(response_to(inv->msg, 486, "Busy Here", "g1"));
    auto r = wait_final(alice, "INVITE");
    ASSERT_NE(r, nullptr) << name;
    EXPECT_EQ(r->msg.status_code(), 486);
    // The hop-by-hop ACK for the 486 comes over the same connection.
    EXPECT_NE(wait_request(gw, sip::Method::ack), nullptr) << name;
  }
  EXPECT_FALSE(gw.pending(200)) << "a second connection was opened for the second call";
  EXPECT_EQ(gw.accepted, 1);
}

// A call answered through a TCP gateway duet connected to: the gateway's BYE comes over that
// connection and reaches the caller by our Record-Route; the caller's in-dialog request goes back to
// the gateway's Contact (transport=tcp) over the same connection, not a new one.
TEST(ProxyService, InDialogRequestsBothWaysOverTheConnectionToTheGateway) {
  TcpServer gw;
  ASSERT_TRUE(gw.listening);
  UdpClient alice;
  Service s(tcp_gateway_config(gw, 1));
  const Caller c = foreign_caller(alice.port, "gwdialog");
  alice.send(s.udp_port, invite(c));
  ASSERT_TRUE(gw.accept());
  auto inv = wait_request(gw, sip::Method::invite);
  ASSERT_NE(inv, nullptr);
  const std::string gw_contact = "sip:carol@127.0.0.1:" + std::to_string(gw.port) + ";transport=tcp";
  gw.send(response_to(inv->msg, 200, "OK", "g1", "Contact: <" + gw_contact + ">\r\n"));
  auto ok = wait_response(alice, 200, "INVITE");
  ASSERT_NE(ok, nullptr);
  const auto rr = values(ok->msg, sip::HeaderId::record_route);
  ASSERT_FALSE(rr.empty());

  // The caller's in-dialog INFO, by its Route set, to the gateway's Contact.
  std::string route = "Route: ";
  for (std::size_t i = 0; i < rr.size(); ++i) route += (i ? ", " : "") + rr[i];
  route += "\r\n";
  alice.send(s.udp_port, caller_request(c, "INFO", gw_contact, "z9hG4bKgwinfo", 2, "g1", route));
  auto info = wait_request(gw, sip::Method::info);
  ASSERT_NE(info, nullptr) << "the caller's INFO did not reach the gateway over its connection";
  EXPECT_EQ(info->msg.request_uri(), gw_contact);
  gw.send(response_to(info->msg, 200, "OK", ""));
  ASSERT_NE(wait_response(alice, 200, "INFO"), nullptr);

  // The gateway hangs up: its BYE, with the Record-Route reversed, to the caller's Contact.
  std::string bye = "BYE sip:alice@127.0.0.1:" + std::to_string(alice.port) + " SIP/2.0\r\n";
  bye += "Via: SIP/2.0/TCP 127.0.0.1:" + std::to_string(gw.port) + ";branch=z9hG4bKgwbye\r\n";
  bye += "Max-Forwards: 70\r\n";
  for (auto it = rr.rbegin(); it != rr.rend(); ++it) bye += "Route: " + *it + "\r\n";
  bye += "From: " + c.to + ";tag=g1\r\nTo: <sip:alice@example.com>;tag=" + c.from_tag + "\r\n";
  bye += "Call-ID: " + c.call_id + "\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n";
  gw.send(bye);
  auto got = wait_request(alice, sip::Method::bye);
  ASSERT_NE(got, nullptr) << "the gateway's BYE did not reach the caller";
  alice.send(s.udp_port, response_to(got->msg, 200, "OK", ""));
  auto bye_ok = wait_response(gw, 200, "BYE");
  ASSERT_NE(bye_ok, nullptr) << "the 200 for the BYE did not come back over the gateway's connection";
  EXPECT_FALSE(gw.pending(200));
  EXPECT_EQ(gw.accepted, 1);
}

// The gateway refuses the connection: the caller hears at once (the branch counts as a 503,
// which goes upstream as 500, §16.7 step 6), not after Timer B's 32 seconds.
TEST(ProxyService, RefusedConnectionToTheGatewayFailsTheCallAtOnce) {
  // A port bound but not listening: connecting to it is refused.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a = loopback(0);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  UdpClient alice;
  config::Config cfg = proxy_config(1);
  cfg.proxy.outbound = "sip:127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + ";transport=tcp";
  Service s(cfg);
  const Caller c = foreign_caller(alice.port, "refused");
  const auto start = Clock::now();
  alice.send(s.udp_port, invite(c));
  auto r = wait_final(alice, "INVITE", 3000);
  ::close(fd);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->msg.status_code(), 500);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));
}

// ---- Next hops by host name (RFC 3263), from a name server on loopback ----

namespace dnsw = ::duet::test::dnswire;

config::Config dns_config(const dnsw::Server& ns) {
  config::Config cfg = proxy_config(1);
  cfg.proxy.dns_servers = {ns.address()};
  return cfg;
}

// A domain served by two SIP servers over UDP (SRV priorities 10 and 20, hosts sbc1.<domain> and
// sbc2.<domain>, both 127.0.0.1) at the given ports: the shape RFC 3263 §4.3 fails over in.
void add_two_srv_servers(dnsw::Server& ns, const std::string& domain, std::uint16_t first,
                         std::uint16_t second) {
  ns.add("_sip._udp." + domain, dnsw::kSrv, dnsw::srv(10, 0, first, "sbc1." + domain));
  ns.add("_sip._udp." + domain, dnsw::kSrv, dnsw::srv(20, 0, second, "sbc2." + domain));
  ns.add("sbc1." + domain, dnsw::kA, dnsw::a("127.0.0.1"));
  ns.add("sbc2." + domain, dnsw::kA, dnsw::a("127.0.0.1"));
}

// The caller's in-dialog request to a fixed remote target, sent on by a Route naming route_host.
std::string routed_by_name(const Caller& c, const std::string& method, const std::string& branch,
                           std::uint32_t cseq, const std::string& route_host) {
  return caller_request(c, method, "sip:bob@192.0.2.1", branch, cseq, "b1",
                        "Route: <sip:" + route_host + ";lr>\r\n");
}

// An in-dialog request whose remote target is a host name with a port: its A record (§4.2), and
// the request goes there with its Request-URI as it was. The next one to that name is answered
// from the cache (no new query), and its ACK too.
TEST(ProxyService, InDialogRequestToAHostNameGoesToItsAddress) {
  dnsw::Server ns;
  ns.add("bob-phone.test", dnsw::kA, dnsw::a("127.0.0.1"));
  Service s(dns_config(ns));
  UdpClient alice, bob;
  Caller c = caller_for(alice.port, "dnsbye");
  const std::string target = "sip:bob@bob-phone.test:" + std::to_string(bob.port);
  alice.send(s.udp_port, caller_request(c, "BYE", target, "z9hG4bKdnsbye1", 2, "b1"));
  auto bye = wait_request(bob, sip::Method::bye);
  ASSERT_NE(bye, nullptr) << "the BYE to " << target << " did not arrive";
  EXPECT_EQ(bye->msg.request_uri(), target);
  bob.send(s.udp_port, response_to(bye->msg, 200, "OK", ""));
  ASSERT_NE(wait_response(alice, 200, "BYE"), nullptr);
  const int queries = ns.queries.load();
  alice.send(s.udp_port, caller_request(c, "INFO", target, "z9hG4bKdnsinfo1", 3, "b1"));
  auto info = wait_request(bob, sip::Method::info);
  ASSERT_NE(info, nullptr);
  alice.send(s.udp_port, caller_request(c, "ACK", target, "z9hG4bKdnsack1", 1, "b1"));
  EXPECT_NE(wait_request(bob, sip::Method::ack), nullptr);
  EXPECT_EQ(ns.queries.load(), queries) << "a cached name was looked up again";
}

// A Route by name without port or transport: NAPTR (none), then SRV _sip._udp (§4.1), then the
// server's address at the SRV port. The ACK of a 2xx to a name not seen yet waits for its lookup.
TEST(ProxyService, RouteByNameFollowsSrv) {
  dnsw::Server ns;
  UdpClient alice, next;
  ns.add("_sip._udp.edge.test", dnsw::kSrv, dnsw::srv(10, 0, next.port, "host.edge.test"));
  ns.add("host.edge.test", dnsw::kA, dnsw::a("127.0.0.1"));
  ns.add("_sip._udp.ack.test", dnsw::kSrv, dnsw::srv(10, 0, next.port, "host.edge.test"));
  Service s(dns_config(ns));
  Caller c = caller_for(alice.port, "dnsroute");
  alice.send(s.udp_port, routed_by_name(c, "BYE", "z9hG4bKdnsr1", 2, "edge.test"));
  auto bye = wait_request(next, sip::Method::bye);
  ASSERT_NE(bye, nullptr);
  EXPECT_EQ(values(bye->msg, sip::HeaderId::route), std::vector<std::string>{"<sip:edge.test;lr>"});
  EXPECT_EQ(bye->msg.request_uri(), "sip:bob@192.0.2.1");
  alice.send(s.udp_port, routed_by_name(c, "ACK", "z9hG4bKdnsr2", 1, "ack.test"));
  EXPECT_NE(wait_request(next, sip::Method::ack), nullptr) << "the ACK waiting for DNS was lost";
}

// RFC 3263 §4.3: the first server of the SRV answer says 503; the request goes to the next one and
// its answer is the one the caller gets.
TEST(ProxyService, NextSrvServerAfterA503) {
  dnsw::Server ns;
  UdpClient alice, first, second;
  add_two_srv_servers(ns, "pair.test", first.port, second.port);
  Service s(dns_config(ns));
  Caller c = caller_for(alice.port, "dnsfail");
  alice.send(s.udp_port, routed_by_name(c, "BYE", "z9hG4bKdnsf1", 2, "pair.test"));
  auto bye1 = wait_request(first, sip::Method::bye);
  ASSERT_NE(bye1, nullptr);
  first.send(s.udp_port, response_to(bye1->msg, 503, "Service Unavailable", ""));
  auto bye2 = wait_request(second, sip::Method::bye);
  ASSERT_NE(bye2, nullptr) << "no failover to the second SRV server";
  EXPECT_TRUE(caller_gets(s, second, bye2->msg, 200, "OK", "", alice));
  // The counters are published once a second.
  for (int i = 0; i < 30 && s.service().stats().proxy.dns_failovers == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(s.service().stats().proxy.dns_failovers, 1u);
}

// With a gateway configured, an in-dialog request to another domain's host name goes through it (the
// site's way out), as new requests do: no lookup is made.
TEST(ProxyService, InDialogRequestToAForeignNameUsesTheGatewayWhenThereIsOne) {
  dnsw::Server ns;
  ns.add("bob-phone.test", dnsw::kA, dnsw::a("127.0.0.1"));
  UdpClient alice, gw, bob;
  config::Config cfg = dns_config(ns);
  cfg.proxy.outbound = "sip:127.0.0.1:" + std::to_string(gw.port);
  Service s(cfg);
  Caller c = caller_for(alice.port, "dnsgw");
  alice.send(s.udp_port, caller_request(c, "BYE", "sip:bob@bob-phone.test:" + std::to_string(bob.port),
                                        "z9hG4bKdnsgw1", 2, "b1"));
  EXPECT_NE(wait_request(gw, sip::Method::bye), nullptr);
  EXPECT_EQ(ns.queries.load(), 0);
}

// A gateway named by its domain (RFC 3263): its SRV servers in order, each call located through the
// cache; the first says 503 and the INVITE goes on to the next (§4.3), its Request-URI unchanged.
// An in-dialog ACK to the gateway's domain follows the same answer.
TEST(ProxyService, GatewayByDomainFollowsSrvAndFailsOver) {
  dnsw::Server ns;
  UdpClient alice, first, second;
  add_two_srv_servers(ns, "carrier.test", first.port, second.port);
  config::Config cfg = dns_config(ns);
  cfg.proxy.outbound = "sip:Carrier.Test";  // no address of its own: the config left outbound_ip empty
  Service s(cfg);
  Caller c = caller_for(alice.port, "gwsrv");
  c.ruri = "sip:+15551234@pstn.example";
  c.to = "<sip:+15551234@pstn.example>";
  alice.send(s.udp_port, invite(c));
  auto inv1 = wait_request(first, sip::Method::invite);
  ASSERT_NE(inv1, nullptr) << "the INVITE did not reach the first SRV server";
  EXPECT_EQ(inv1->msg.request_uri(), "sip:+15551234@pstn.example");
  first.send(s.udp_port, response_to(inv1->msg, 503, "Service Unavailable", "s1"));
  auto inv2 = wait_request(second, sip::Method::invite);
  ASSERT_NE(inv2, nullptr) << "no failover to the second SRV server";
  EXPECT_EQ(inv2->msg.request_uri(), "sip:+15551234@pstn.example");
  EXPECT_TRUE(caller_gets(s, second, inv2->msg, 486, "Busy Here", "s2", alice));
  const int queries = ns.queries.load();
  alice.send(s.udp_port, caller_request(c, "ACK", "sip:+15551234@pstn.example", "z9hG4bKgwsrvack", 1, "s9"));
  EXPECT_NE(wait_request(first, sip::Method::ack), nullptr) << "the ACK did not follow the SRV answer";
  EXPECT_EQ(ns.queries.load(), queries) << "a cached answer was looked up again";
}

// A gateway name with a port that no longer resolves: the address it had when the site started
// (outbound_ip) still takes the calls (with a port, RFC 3263 §4.2 would use that A record too).
// Without a port the start-time address is not used (NAPTR/SRV would decide, and the domain's own
// address may be another host): the caller gets 500 at once, not a timeout.
TEST(ProxyService, GatewayNameThatDoesNotResolveFallsBackToItsStartAddress) {
  dnsw::Server ns;  // knows no name
  UdpClient alice, gw;
  config::Config cfg = dns_config(ns);
  cfg.proxy.outbound = "sip:gw.test:" + std::to_string(gw.port);
  cfg.proxy.outbound_ip = "127.0.0.1";
  {
    Service s(cfg);
    Caller c = foreign_caller(alice.port, "gwfb");
    alice.send(s.udp_port, invite(c));
    auto inv = wait_request(gw, sip::Method::invite);
    ASSERT_NE(inv, nullptr) << "the start-time address was not used";
    EXPECT_TRUE(caller_gets(s, gw, inv->msg, 404, "Not Found", "g1", alice));
  }
  cfg.proxy.outbound = "sip:gw.test";  // outbound_ip still set
  Service s(cfg);
  Caller c = foreign_caller(alice.port, "gwnone");
  alice.send(s.udp_port, invite(c));
  auto r = wait_final(alice, "INVITE", 3000);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->msg.status_code(), 500);
  EXPECT_NE(r->msg.reason_phrase().find("Gateway"), std::string_view::npos) << r->msg.reason_phrase();
}

// A gateway by address: no lookup; the INVITE for another domain goes there with its Request-URI
// unchanged, and the gateway's answer comes back.
TEST(ProxyService, ForeignDomainGoesToANumericGateway) {
  dnsw::Server ns;
  UdpClient alice, gw;
  config::Config cfg = dns_config(ns);
  cfg.proxy.outbound = "sip:127.0.0.1:" + std::to_string(gw.port);
  Service s(cfg);
  Caller c = foreign_caller(alice.port, "gwnum");
  alice.send(s.udp_port, invite(c));
  auto inv = wait_request(gw, sip::Method::invite);
  ASSERT_NE(inv, nullptr);
  EXPECT_EQ(inv->msg.request_uri(), "sip:carol@other.org");
  EXPECT_EQ(inv->msg.max_forwards(), 69);
  EXPECT_TRUE(caller_gets(s, gw, inv->msg, 486, "Busy Here", "g1", alice));
  EXPECT_EQ(ns.queries.load(), 0);
}

// A remote target whose name does not exist: 404, at once (the answer is NXDOMAIN, not a timeout).
TEST(ProxyService, InDialogRequestToAnUnknownNameIs404) {
  dnsw::Server ns;
  Service s(dns_config(ns));
  UdpClient alice;
  Caller c = caller_for(alice.port, "dnsnx");
  alice.send(s.udp_port, caller_request(c, "BYE", "sip:bob@nowhere.test", "z9hG4bKdnsnx1", 2, "b1"));
  auto r = wait_final(alice, "BYE", 3000);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->msg.status_code(), 404);
}

TEST(ProxyService, InviteReachesTheRegisteredPhoneAndResponsesComeBack) {
  Service s(proxy_config(2));
  UdpClient bob, alice;
  ASSERT_TRUE(register_phone(s, bob, "bob"));
  const Caller c = caller_for(alice.port, "basic");
  alice.send(s.udp_port, invite(c));
  ASSERT_NE(wait_response(alice, 100, "INVITE"), nullptr);
  auto inv = wait_request(bob, sip::Method::invite);
  ASSERT_NE(inv, nullptr);
  // §16.6: Request-URI rewritten to the contact, Max-Forwards decremented, our Via on top,
  // Record-Route with ;lr; the rest as the caller sent it.
  EXPECT_EQ(inv->msg.request_uri(), contact_of("bob", bob));
  EXPECT_EQ(inv->msg.max_forwards(), 69);
  const auto vias = values(inv->msg, sip::HeaderId::via);
  ASSERT_EQ(vias.size(), 2u);
  EXPECT_TRUE(is_own_via(vias[0])) << vias[0];
  EXPECT_EQ(vias[1], received_via(c, c.branch));
  const auto rr = values(inv->msg, sip::HeaderId::record_route);
  ASSERT_EQ(rr.size(), 1u);
  EXPECT_NE(rr[0].find("@127.0.0.1:" + std::to_string(s.udp_port) + ";lr>"), std::string::npos) << rr[0];
  EXPECT_EQ(rr[0].rfind("<sip:u", 0), 0u) << rr[0];  // the caller's UDP flow token
  EXPECT_EQ(rr[0].find("transport="), std::string::npos) << rr[0];
  EXPECT_EQ(inv->msg.call_id(), c.call_id);
  EXPECT_EQ(inv->msg.from().tag, c.from_tag);
  EXPECT_TRUE(inv->msg.to().tag.empty());
  EXPECT_EQ(inv->msg.cseq_number(), 1u);
  EXPECT_EQ(inv->msg.header(sip::HeaderId::contact),
            "<sip:alice@127.0.0.1:" + std::to_string(alice.port) + ">");

  bob.send(s.udp_port, response_to(inv->msg, 180, "Ringing", "b1"));
  auto ringing = wait_response(alice, 180, "INVITE");
  ASSERT_NE(ringing, nullptr);
  EXPECT_EQ(values(ringing->msg, sip::HeaderId::via), std::vector<std::string>{received_via(c, c.branch)});
  EXPECT_EQ(ringing->msg.to().tag, "b1");

  auto ok = answer_ok(s, alice, bob, inv->msg);
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(values(ok->msg, sip::HeaderId::via), std::vector<std::string>{received_via(c, c.branch)});
  EXPECT_EQ(ok->msg.to().tag, "b1");
  EXPECT_EQ(values(ok->msg, sip::HeaderId::record_route), rr);
  EXPECT_EQ(ok->msg.header(sip::HeaderId::contact), "<" + contact_of("bob", bob) + ">");
}

// Once its 2xx has gone upstream and no branch is left, a call over UDP is released at once (its
// transactions stay to absorb retransmissions for 64*T1): a retransmitted 2xx still reaches the
// caller, forwarded by its Via, and so does the 200 for a BYE whose call was released the same way.
TEST(ProxyService, AnsweredCallsAreReleasedAndRetransmitted2xxStillReachTheCaller) {
  Service s(proxy_config(1));
  UdpClient bob, alice;
  ASSERT_TRUE(register_phone(s, bob, "bob"));
  const Caller c = caller_for(alice.port, "release");
  const AnsweredCall a = answered_call(s, alice, bob, c);
  ASSERT_TRUE(a.answered);
  // The counters are published at each expiry tick (1 s).
  const auto settled = [&](std::uint64_t calls) {
    for (int i = 0; i < 40; ++i) {
      const ServiceStats st = s.service().stats();
      if (st.calls == calls && st.transactions >= 2) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  };
  EXPECT_TRUE(settled(0)) << "calls " << s.service().stats().calls << ", transactions "
                          << s.service().stats().transactions;
  for (int i = 0; i < 2; ++i) {
    auto again = answer_ok(s, alice, bob, a.inv->msg);
    ASSERT_NE(again, nullptr) << "retransmission " << i;
    EXPECT_EQ(values(again->msg, sip::HeaderId::via), values(a.ok->msg, sip::HeaderId::via));
    EXPECT_EQ(again->text, a.ok->text);
  }
  const std::string bob_contact = contact_of("bob", bob);
  alice.send(s.udp_port, caller_request(c, "BYE", bob_contact, "z9hG4bKrelbye", 2, "b1", a.route));
  auto bye = wait_request(bob, sip::Method::bye, 1000);
  ASSERT_NE(bye, nullptr);
  bob.send(s.udp_port, response_to(bye->msg, 200, "OK", ""));
  ASSERT_NE(wait_response(alice, 200, "BYE"), nullptr);
  // A retransmitted BYE is answered again by its server transaction, without the call.
  alice.send(s.udp_port, caller_request(c, "BYE", bob_contact, "z9hG4bKrelbye", 2, "b1", a.route));
  ASSERT_NE(wait_response(alice, 200, "BYE"), nullptr);
  EXPECT_EQ(wait_request(bob, sip::Method::bye, 300), nullptr);
  EXPECT_TRUE(settled(0));
}

// alice calls bob, bob answers 200; then alice sends the ACK and a BYE to bob's Contact with the
// Route set, and both must reach bob with our Route value removed and our Via on top.
template <class Phone>
void ack_and_bye_reach_the_callee(Service& s, UdpClient& alice, Phone& bob, const std::string& name) {
  const Caller c = caller_for(alice.port, name);
  const AnsweredCall a = answered_call(s, alice, bob, c);
  ASSERT_TRUE(a.answered);
  const std::string bob_contact = contact_of("bob", bob);
  EXPECT_EQ(a.inv->msg.request_uri(), bob_contact);
  const std::string& route = a.route;
  const std::string port = std::to_string(alice.port);

  // The ACK for the 2xx: a request of its own (new branch), to the Contact, by the Route set.
  alice.send(s.udp_port, caller_request(c, "ACK", bob_contact, "z9hG4bKack" + port, 1, "b1", route));
  auto ack = wait_request(bob, sip::Method::ack);
  ASSERT_NE(ack, nullptr);
  EXPECT_EQ(ack->msg.request_uri(), bob_contact);
  EXPECT_FALSE(ack->msg.has(sip::HeaderId::route));  // our own Route value was removed
  EXPECT_EQ(ack->msg.max_forwards(), 69);
  auto ack_vias = values(ack->msg, sip::HeaderId::via);
  ASSERT_EQ(ack_vias.size(), 2u);
  EXPECT_TRUE(is_own_via(ack_vias[0])) << ack_vias[0];
  EXPECT_EQ(ack_vias[1], received_via(c, "z9hG4bKack" + port));

  // The BYE, the same way.
  alice.send(s.udp_port, caller_request(c, "BYE", bob_contact, "z9hG4bKbye" + port, 2, "b1", route));
  auto bye = wait_request(bob, sip::Method::bye, 1000);
  if (bye == nullptr) {
    auto what = wait_final(alice, "BYE", 100);
    FAIL() << "the caller's in-dialog BYE to " << bob_contact
           << " never reached the callee; the caller got:\n"
           << (what ? what->text : std::string("nothing"));
  }
  EXPECT_EQ(bye->msg.request_uri(), bob_contact);
  EXPECT_FALSE(bye->msg.has(sip::HeaderId::route));
  auto bye_vias = values(bye->msg, sip::HeaderId::via);
  ASSERT_EQ(bye_vias.size(), 2u);
  EXPECT_TRUE(is_own_via(bye_vias[0])) << bye_vias[0];
  bob.send(s.udp_port, response_to(bye->msg, 200, "OK", ""));
  auto bye_ok = wait_response(alice, 200, "BYE");
  ASSERT_NE(bye_ok, nullptr);
  EXPECT_EQ(values(bye_ok->msg, sip::HeaderId::via),
            std::vector<std::string>{received_via(c, "z9hG4bKbye" + port)});
}

TEST(ProxyService, AckAndByeWithTheRouteSetReachTheCallee) {
  Service s(proxy_config(2));
  UdpClient bob("127.0.0.2");  // another host than duet's
  ASSERT_TRUE(bob.bound);
  UdpClient alice;
  ASSERT_TRUE(register_phone(s, bob, "bob"));
  ack_and_bye_reach_the_callee(s, alice, bob, "dlg");
}

// Regression (Proxy::handle_new): an in-dialog request whose Route set ends with our own entry
// goes to its Request-URI, the callee's Contact. It used to be taken as an AOR of ours whenever
// is_local_domain(host) held, whatever the port: a phone on duet's own address (127.0.0.1:<phone
// port>) was looked up as bob@127.0.0.1 and the BYE answered 404, while the ACK of the same
// dialog (handle_ack, own_address() with the port) got through.
TEST(ProxyService, InDialogByeToAPhoneOnDuetsOwnAddressReachesIt) {
  Service s(proxy_config(1));
  UdpClient bob, alice;
  ASSERT_TRUE(register_phone(s, bob, "bob"));
  ack_and_bye_reach_the_callee(s, alice, bob, "own");
}

// Regression (same place): with [registrar] domains empty (the default, "accept any domain"),
// is_local_domain() is true for every host, so every in-dialog request from the caller to a callee
// reached at its Contact (a LAN phone, no NAT, no flow token) was looked up as user@<contact host>
// and answered 404: callers could not hang up.
TEST(ProxyService, InDialogByeWithAnyDomainReachesTheCallee) {
  config::Config cfg = proxy_config(1);
  cfg.registrar.domains.clear();
  Service s(cfg);
  UdpClient bob("127.0.0.2");
  ASSERT_TRUE(bob.bound);
  UdpClient alice;
  ASSERT_TRUE(register_phone(s, bob, "bob"));
  ack_and_bye_reach_the_callee(s, alice, bob, "any");
}

TEST(ProxyService, ByeFromTheCalleeReachesTheCallerOverItsFlow) {
  Service s(proxy_config(2));
  UdpClient bob, alice;
  ASSERT_TRUE(register_phone(s, bob, "bob"));
  const Caller c = caller_for(alice.port, "cbye");
  const AnsweredCall a = answered_call(s, alice, bob, c);
  ASSERT_TRUE(a.answered);
  // bob's BYE: to alice's Contact, by the Route set (the Record-Route in order, §12.1.1).
  std::string b = "BYE sip:alice@127.0.0.1:" + std::to_string(alice.port) + " SIP/2.0\r\n";
  b += "Via: SIP/2.0/UDP 127.0.0.1:" + std::to_string(bob.port) + ";branch=z9hG4bKbobbye;rport\r\n";
  b += "Max-Forwards: 70\r\n";
  b += a.route;
  b += "From: <sip:bob@example.com>;tag=b1\r\n";
  b += "To: <sip:alice@example.com>;tag=" + c.from_tag + "\r\n";
  b += "Call-ID: " + c.call_id + "\r\n";
  b += "CSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n";
  bob.send(s.udp_port, b);
  auto bye = wait_request(alice, sip::Method::bye);
  ASSERT_NE(bye, nullptr);
  EXPECT_FALSE(bye->msg.has(sip::HeaderId::route));
  EXPECT_EQ(values(bye->msg, sip::HeaderId::via).size(), 2u);
  alice.send(s.udp_port, response_to(bye->msg, 200, "OK", ""));
  auto ok = wait_response(bob, 200, "BYE");
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(values(ok->msg, sip::HeaderId::via).size(), 1u);
}

TEST(ProxyService, CancelAfterRinging) {
  Service s(proxy_config(2));
  UdpClient bob, alice;
  ASSERT_TRUE(register_phone(s, bob, "bob"));
  const Caller c = caller_for(alice.port, "cxl");
  auto inv = call(s, alice, bob, c);
  ASSERT_NE(inv, nullptr);
  bob.send(s.udp_port, response_to(inv->msg, 180, "Ringing", "b1"));
  ASSERT_NE(wait_response(alice, 180, "INVITE"), nullptr);

  alice.send(s.udp_port, cancel(c));
  auto cancel_ok = wait_response(alice, 200, "CANCEL");
  ASSERT_NE(cancel_ok, nullptr);  // §16.10: answered hop by hop at once
  EXPECT_EQ(values(cancel_ok->msg, sip::HeaderId::via).size(), 1u);

  auto bob_cancel = wait_request(bob, sip::Method::cancel);
  ASSERT_NE(bob_cancel, nullptr);
  EXPECT_EQ(bob_cancel->msg.request_uri(), inv->msg.request_uri());
  EXPECT_EQ(bob_cancel->msg.top_via().branch, inv->msg.top_via().branch);  // §9.1: the INVITE's branch
  EXPECT_EQ(bob_cancel->msg.cseq_number(), 1u);
  EXPECT_EQ(bob_cancel->msg.cseq_method(), "CANCEL");
  EXPECT_EQ(bob_cancel->msg.call_id(), c.call_id);
  bob.send(s.udp_port, response_to(bob_cancel->msg, 200, "OK", ""));
  bob.send(s.udp_port, response_to(inv->msg, 487, "Request Terminated", "b1"));

  auto terminated = wait_final(alice, "INVITE");
  ASSERT_NE(terminated, nullptr);
  EXPECT_EQ(terminated->msg.status_code(), 487);
  EXPECT_EQ(terminated->msg.to().tag, "b1");  // bob's own 487, relayed
  EXPECT_EQ(values(terminated->msg, sip::HeaderId::via), std::vector<std::string>{received_via(c, c.branch)});
  // duet acknowledges bob's 487 itself (§17.1.1.3: same branch as the INVITE).
  auto ack = wait_request(bob, sip::Method::ack);
  ASSERT_NE(ack, nullptr);
  EXPECT_EQ(ack->msg.top_via().branch, inv->msg.top_via().branch);
  EXPECT_EQ(ack->msg.cseq_method(), "ACK");
  EXPECT_EQ(ack->msg.to().tag, "b1");
  alice.send(s.udp_port, ack_non2xx(c, "b1"));
  EXPECT_EQ(wait_request(bob, sip::Method::ack, 200), nullptr);  // the caller's ACK stops at duet
}

TEST(ProxyService, CancelBeforeAnyProvisionalWaitsForOneDownstream) {
  Service s(proxy_config(1));
  UdpClient bob, alice;
  ASSERT_TRUE(register_phone(s, bob, "bob"));
  const Caller c = caller_for(alice.port, "early");
  auto inv = call(s, alice, bob, c);
  ASSERT_NE(inv, nullptr);
  alice.send(s.udp_port, cancel(c));
  ASSERT_NE(wait_response(alice, 200, "CANCEL"), nullptr);
  // §9.1: no CANCEL before the branch has had a provisional response (Timer A has not fired).
  EXPECT_EQ(wait_request(bob, sip::Method::cancel, 150), nullptr);
  bob.send(s.udp_port, response_to(inv->msg, 180, "Ringing", "b1"));
  auto bob_cancel = wait_request(bob, sip::Method::cancel);
  ASSERT_NE(bob_cancel, nullptr);
  EXPECT_EQ(bob_cancel->msg.top_via().branch, inv->msg.top_via().branch);
  bob.send(s.udp_port, response_to(bob_cancel->msg, 200, "OK", ""));
  EXPECT_TRUE(caller_gets(s, bob, inv->msg, 487, "Request Terminated", "b1", alice));
}

TEST(ProxyService, CancelOfAnUnknownInviteIs481) {
  Service s(proxy_config(1));
  UdpClient alice;
  const Caller c = caller_for(alice.port, "nocall");
  alice.send(s.udp_port, cancel(c));
  auto r = wait_final(alice, "CANCEL");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->msg.status_code(), 481);
}

TEST(ProxyService, ParallelForkCancelsTheOtherBranchWhenOneAnswers) {
  Service s(proxy_config(2, false));
  UdpClient p1, p2, alice;
  const Caller c = caller_for(alice.port, "fork");
  auto invs = fork_invite(s, alice, {&p1, &p2}, c);
  ASSERT_EQ(invs.size(), 2u);
  for (const auto& i : invs) ASSERT_NE(i, nullptr);
  auto& inv1 = invs[0];
  auto& inv2 = invs[1];
  EXPECT_EQ(inv1->msg.request_uri(), contact_of("bob", p1));
  EXPECT_EQ(inv2->msg.request_uri(), contact_of("bob", p2));
  EXPECT_NE(inv1->msg.top_via().branch, inv2->msg.top_via().branch);  // one client transaction each
  p1.send(s.udp_port, response_to(inv1->msg, 180, "Ringing", "p1"));
  p2.send(s.udp_port, response_to(inv2->msg, 180, "Ringing", "p2"));
  ASSERT_NE(wait_response(alice, 180, "INVITE"), nullptr);

  p1.send(s.udp_port,
          response_to(inv1->msg, 200, "OK", "p1", "Contact: <" + contact_of("bob", p1) + ">\r\n"));
  auto ok = wait_response(alice, 200, "INVITE");
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(ok->msg.to().tag, "p1");
  auto cancel2 = wait_request(p2, sip::Method::cancel);
  ASSERT_NE(cancel2, nullptr);
  EXPECT_EQ(cancel2->msg.top_via().branch, inv2->msg.top_via().branch);
  EXPECT_EQ(wait_request(p1, sip::Method::cancel, 200), nullptr);  // the answering branch is left alone
  p2.send(s.udp_port, response_to(cancel2->msg, 200, "OK", ""));
  p2.send(s.udp_port, response_to(inv2->msg, 487, "Request Terminated", "p2"));
  auto ack2 = wait_request(p2, sip::Method::ack);
  ASSERT_NE(ack2, nullptr);
  EXPECT_EQ(ack2->msg.top_via().branch, inv2->msg.top_via().branch);
  // The caller sees the 200 only: the cancelled branch's 487 stays at duet.
  EXPECT_EQ(wait_final(alice, "INVITE", 300), nullptr);
}

TEST(ProxyService, SerialByQTriesTheLowerQOnlyAfterTheFirstFails) {
  Service s(proxy_config(2, true));
  UdpClient p1, p2, alice;
  ASSERT_TRUE(register_phone(s, p2, "bob", ";q=0.5"));  // registered first, tried second
  ASSERT_TRUE(register_phone(s, p1, "bob", ";q=1.0"));
  const Caller c = caller_for(alice.port, "serial");
  alice.send(s.udp_port, invite(c));
  auto inv1 = wait_request(p1, sip::Method::invite);
  ASSERT_NE(inv1, nullptr);
  p1.send(s.udp_port, response_to(inv1->msg, 180, "Ringing", "p1"));
  EXPECT_TRUE(p2.recv(250).empty());  // nothing for the q=0.5 contact while q=1.0 rings
  p1.send(s.udp_port, response_to(inv1->msg, 486, "Busy Here", "p1"));
  auto ack1 = wait_request(p1, sip::Method::ack);
  ASSERT_NE(ack1, nullptr);
  EXPECT_EQ(ack1->msg.top_via().branch, inv1->msg.top_via().branch);
  auto inv2 = wait_request(p2, sip::Method::invite);
  ASSERT_NE(inv2, nullptr);
  EXPECT_EQ(inv2->msg.request_uri(), contact_of("bob", p2));
  EXPECT_NE(inv2->msg.top_via().branch, inv1->msg.top_via().branch);
  p2.send(s.udp_port,
          response_to(inv2->msg, 200, "OK", "p2", "Contact: <" + contact_of("bob", p2) + ">\r\n"));
  auto answer = wait_final(alice, "INVITE");
  ASSERT_NE(answer, nullptr);
  EXPECT_EQ(answer->msg.status_code(), 200);  // the 486 of the first group never went upstream
  EXPECT_EQ(answer->msg.to().tag, "p2");
}

TEST(ProxyService, ChallengesOfEveryBranchGoUpstreamInOne407) {
  // §16.7 step 7: two forked branches both challenge; the caller gets one 407 carrying both
  // realms' challenges (and the 401's WWW-Authenticate), each unmodified and once.
  Service s(proxy_config(2, false));
  UdpClient p1, p2, p3, alice;
  const Caller c = caller_for(alice.port, "auth");
  auto invs = fork_invite(s, alice, {&p1, &p2, &p3}, c);
  ASSERT_EQ(invs.size(), 3u);
  for (const auto& i : invs) ASSERT_NE(i, nullptr);
  auto& inv1 = invs[0];
  auto& inv2 = invs[1];
  auto& inv3 = invs[2];
  const std::string ch1 = "Digest realm=\"one.example\", nonce=\"n1\", algorithm=MD5";
  const std::string ch2 = "Digest realm=\"two.example\", nonce=\"n2\", qop=\"auth\"";
  const std::string ch3 = "Digest realm=\"three.example\", nonce=\"n3\"";
  p1.send(s.udp_port, response_to(inv1->msg, 407, "Proxy Authentication Required", "p1",
                                  "Proxy-Authenticate: " + ch1 + "\r\n"));
  p2.send(s.udp_port, response_to(inv2->msg, 407, "Proxy Authentication Required", "p2",
                                  "Proxy-Authenticate: " + ch2 + "\r\n"));
  p3.send(s.udp_port, response_to(inv3->msg, 401, "Unauthorized", "p3", "WWW-Authenticate: " + ch3 + "\r\n"));
  auto r = wait_final(alice, "INVITE");
  ASSERT_NE(r, nullptr);
  const int status = r->msg.status_code();
  ASSERT_TRUE(status == 401 || status == 407) << status;
  // Challenges are not comma lists: whole header values.
  auto whole = [&](sip::HeaderId id) {
    std::vector<std::string> out;
    for (const sip::HeaderField* f = r->msg.find(id); f != nullptr; f = r->msg.next(*f))
      out.emplace_back(f->value);
    std::sort(out.begin(), out.end());
    return out;
  };
  EXPECT_EQ(whole(sip::HeaderId::proxy_authenticate), (std::vector<std::string>{ch1, ch2}));
  EXPECT_EQ(whole(sip::HeaderId::www_authenticate), std::vector<std::string>{ch3});
  EXPECT_EQ(values(r->msg, sip::HeaderId::via), std::vector<std::string>{received_via(c, c.branch)});
  for (auto* p : {&p1, &p2, &p3}) ASSERT_NE(wait_request(*p, sip::Method::ack), nullptr);
}

TEST(ProxyService, BusyIsRelayedWhenTheOnlyBranchIsBusy) {
  Service s(proxy_config(2));
  UdpClient bob, alice;
  ASSERT_TRUE(register_phone(s, bob, "bob"));
  const Caller c = caller_for(alice.port, "busy");
  auto inv = call(s, alice, bob, c);
  ASSERT_NE(inv, nullptr);
  bob.send(s.udp_port, response_to(inv->msg, 486, "Busy Here", "b1"));
  auto busy = wait_final(alice, "INVITE");
  ASSERT_NE(busy, nullptr);
  EXPECT_EQ(busy->msg.status_code(), 486);
  EXPECT_EQ(busy->msg.reason_phrase(), "Busy Here");
  EXPECT_EQ(busy->msg.to().tag, "b1");
  EXPECT_EQ(values(busy->msg, sip::HeaderId::via), std::vector<std::string>{received_via(c, c.branch)});
  auto ack = wait_request(bob, sip::Method::ack);
  ASSERT_NE(ack, nullptr);
  EXPECT_EQ(ack->msg.top_via().branch, inv->msg.top_via().branch);
  alice.send(s.udp_port, ack_non2xx(c, "b1"));
}

TEST(ProxyService, Best503FromTheCalleeGoesUpstreamAs500) {
  Service s(proxy_config(1));
  UdpClient bob, alice;
  ASSERT_TRUE(register_phone(s, bob, "bob"));
  const Caller c = caller_for(alice.port, "svc");
  auto inv = call(s, alice, bob, c);
  ASSERT_NE(inv, nullptr);
  bob.send(s.udp_port, response_to(inv->msg, 503, "Service Unavailable", "b1"));
  auto r = wait_final(alice, "INVITE");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->msg.status_code(), 500);  // §16.7 step 6
  EXPECT_EQ(values(r->msg, sip::HeaderId::via), std::vector<std::string>{received_via(c, c.branch)});
  auto ack = wait_request(bob, sip::Method::ack);
  ASSERT_NE(ack, nullptr);
  EXPECT_EQ(ack->msg.top_via().branch, inv->msg.top_via().branch);
}

TEST(ProxyService, UdpInviteRetransmissionsAreAbsorbed) {
  Service s(proxy_config(1));
  UdpClient bob, alice;
  ASSERT_TRUE(register_phone(s, bob, "bob"));
  const Caller c = caller_for(alice.port, "rtx");
  alice.send(s.udp_port, invite(c));
  alice.send(s.udp_port, invite(c));  // a retransmission (same branch)
  auto inv = wait_request(bob, sip::Method::invite);
  ASSERT_NE(inv, nullptr);
  EXPECT_TRUE(bob.recv(300).empty());  // one INVITE only (and Timer A has not fired yet)
  // Each copy got its 100 Trying.
  ASSERT_NE(wait_response(alice, 100, "INVITE"), nullptr);
  ASSERT_NE(wait_response(alice, 100, "INVITE"), nullptr);
  bob.send(s.udp_port, response_to(inv->msg, 180, "Ringing", "b1"));
  ASSERT_NE(wait_response(alice, 180, "INVITE"), nullptr);
  // A later retransmission is answered with the last provisional response, not forwarded.
  alice.send(s.udp_port, invite(c));
  auto again = parse_sip(alice.recv());
  ASSERT_TRUE(again->ok);
  EXPECT_EQ(again->msg.status_code(), 180);
  EXPECT_TRUE(bob.recv(200).empty());
}

TEST(ProxyService, TcpCallerToUdpPhoneGetsTwoRecordRoutes) {
  Service s(proxy_config(2));
  UdpClient bob;
  ASSERT_TRUE(register_phone(s, bob, "bob"));
  TcpClient alice(s.tcp_port);
  ASSERT_TRUE(alice.connected);
  const Caller c = caller_for(alice.port, "tcp", "TCP");
  alice.send(invite(c));
  ASSERT_NE(wait_response(alice, 100, "INVITE"), nullptr);
  auto inv = wait_request(bob, sip::Method::invite);
  ASSERT_NE(inv, nullptr);
  const auto vias = values(inv->msg, sip::HeaderId::via);
  ASSERT_EQ(vias.size(), 2u);
  EXPECT_TRUE(is_own_via(vias[0])) << vias[0];
  EXPECT_EQ(vias[1], received_via(c, c.branch));
  // RFC 5658: one entry per side, the outgoing (UDP) one first.
  const auto rr = values(inv->msg, sip::HeaderId::record_route);
  ASSERT_EQ(rr.size(), 2u);
  EXPECT_NE(rr[0].find("@127.0.0.1:" + std::to_string(s.udp_port) + ";lr>"), std::string::npos) << rr[0];
  EXPECT_EQ(rr[0].find("transport="), std::string::npos) << rr[0];
  EXPECT_NE(rr[1].find("@127.0.0.1:" + std::to_string(s.tcp_port) + ";transport=tcp;lr>"), std::string::npos)
      << rr[1];
  EXPECT_EQ(rr[0].substr(0, rr[0].find('@')), rr[1].substr(0, rr[1].find('@')));  // same flow tokens
  EXPECT_EQ(rr[0].rfind("<sip:t", 0), 0u) << rr[0];                               // the caller's TCP flow

  bob.send(s.udp_port, response_to(inv->msg, 180, "Ringing", "b1"));
  ASSERT_NE(wait_response(alice, 180, "INVITE"), nullptr);
  auto ok = answer_ok(s, alice, bob, inv->msg);
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(values(ok->msg, sip::HeaderId::via), std::vector<std::string>{received_via(c, c.branch)});
  EXPECT_EQ(values(ok->msg, sip::HeaderId::record_route), rr);

  // bob hangs up: the Route set sends the BYE over alice's TCP connection (its flow token).
  std::string b = "BYE sip:alice@127.0.0.1:" + std::to_string(alice.port) + ";transport=tcp SIP/2.0\r\n";
  b += "Via: SIP/2.0/UDP 127.0.0.1:" + std::to_string(bob.port) + ";branch=z9hG4bKtcpbye;rport\r\n";
  b += "Max-Forwards: 70\r\n";
  b += "Route: " + rr[0] + ", " + rr[1] + "\r\n";
  b += "From: <sip:bob@example.com>;tag=b1\r\n";
  b += "To: <sip:alice@example.com>;tag=" + c.from_tag + "\r\n";
  b += "Call-ID: " + c.call_id + "\r\n";
  b += "CSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n";
  bob.send(s.udp_port, b);
  auto bye = wait_request(alice, sip::Method::bye);
  ASSERT_NE(bye, nullptr);
  EXPECT_FALSE(bye->msg.has(sip::HeaderId::route));  // both of our entries removed
  const auto bye_vias = values(bye->msg, sip::HeaderId::via);
  ASSERT_EQ(bye_vias.size(), 2u);
  EXPECT_EQ(bye_vias[0].rfind("SIP/2.0/TCP 127.0.0.1:" + std::to_string(s.tcp_port) + ";branch=z9hG4bKdu", 0),
            0u)
      << bye_vias[0];
  alice.send(response_to(bye->msg, 200, "OK", ""));
  auto bye_ok = wait_response(bob, 200, "BYE");
  ASSERT_NE(bye_ok, nullptr);
  EXPECT_EQ(values(bye_ok->msg, sip::HeaderId::via).size(), 1u);
}

TEST(ProxyService, CallsHandledByEitherWorkerReachCalleesOfEitherShard) {
  // Two workers: a caller's socket lands on either (SO_REUSEPORT) and the transaction lives on
  // the worker that read the INVITE; the AOR's bindings are looked up on the worker owning it
  // (a task there and back when it is the other one). Calls from fresh sockets to callees spread
  // over both shards: every one completes, and both workers hold calls.
  Service s(proxy_config(2));
  ASSERT_EQ(s.runtime().workers(), 2u);
  std::vector<std::unique_ptr<UdpClient>> phones;
  std::map<std::string, std::set<std::string>> workers_by_callee;
  for (int u = 0; u < 8; ++u) {
    phones.push_back(std::make_unique<UdpClient>());
    UdpClient& phone = *phones.back();
    const std::string user = "callee" + std::to_string(u);
    ASSERT_TRUE(register_phone(s, phone, user));
    for (int i = 0; i < 3; ++i) {
      UdpClient alice;  // a fresh socket: any worker may read it
      Caller c = caller_for(alice.port, user + "-" + std::to_string(i));
      c.ruri = "sip:" + user + "@example.com";
      auto inv = call(s, alice, phone, c);
      ASSERT_NE(inv, nullptr) << user << " " << i;
      const std::string_view branch = inv->msg.top_via().branch;
      ASSERT_EQ(branch.rfind("z9hG4bKdu", 0), 0u) << branch;
      workers_by_callee[user].insert(std::string(branch.substr(9, branch.find('.') - 9)));
      const std::string tag = "t" + std::to_string(i);
      // Answered to the Via (the worker's own port, or the listener): the caller gets it.
      const std::uint16_t port = via_port(values(inv->msg, sip::HeaderId::via)[0]);
      auto ok = answer_ok(s, alice, phone, inv->msg, user, tag, port);
      ASSERT_NE(ok, nullptr) << user << " " << i;
      EXPECT_EQ(ok->msg.to().tag, tag);
      EXPECT_EQ(values(ok->msg, sip::HeaderId::via), std::vector<std::string>{received_via(c, c.branch)});
    }
  }
  std::set<std::string> all;
  for (const auto& [user, ws] : workers_by_callee) all.insert(ws.begin(), ws.end());
  // 24 fresh caller sockets over 2 workers: all on one would be a 1-in-8-million accident.
  EXPECT_EQ(all, (std::set<std::string>{"0", "1"}));
}

TEST(ProxyService, CopiesOfAnotherWorkersLocationFollowEveryChangeOfTheBindings) {
  // A worker that looked up an AOR another worker owns keeps a copy of the answer, so the next
  // calls do not cross workers; any change to the AOR's bindings drops the copy. Found: a caller
  // socket read by the worker that does not own bob (its INVITE posted a lookup).
  Service s(proxy_config(2));
  UdpClient phone1, phone2;
  ASSERT_TRUE(register_phone(s, phone1, "bob"));
  const auto stats = [&] { return s.service().stats(); };
  std::unique_ptr<UdpClient> alice;
  int calls = 0;
  for (int attempt = 0; attempt < 40 && alice == nullptr; ++attempt) {
    auto sock = std::make_unique<UdpClient>();
    const std::uint64_t posted = stats().lookups_posted;
    auto inv = call(s, *sock, phone1, caller_for(sock->port, "find" + std::to_string(++calls)));
    ASSERT_NE(inv, nullptr);
    if (stats().lookups_posted > posted) alice = std::move(sock);
  }
  ASSERT_NE(alice, nullptr) << "no caller socket was read by the worker that does not own bob";

  // The next call from it is answered from the copy, and still reaches phone1.
  {
    const ServiceStats before = stats();
    auto inv = call(s, *alice, phone1, caller_for(alice->port, "copy" + std::to_string(++calls)));
    ASSERT_NE(inv, nullptr);
    EXPECT_EQ(inv->msg.request_uri(), contact_of("bob", phone1));
    EXPECT_EQ(stats().lookups_from_copies, before.lookups_from_copies + 1);
    EXPECT_EQ(stats().lookups_posted, before.lookups_posted);
  }

  // The drop travels through the holder's mailbox, and a datagram read a moment after the 200 to
  // the REGISTER may overtake it (as a call placed a moment earlier would): wait for it.
  const auto wait_drops = [&](std::uint64_t want) {
    for (int i = 0; i < 200 && stats().copies_dropped < want; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return stats().copies_dropped >= want;
  };

  // bob moves from phone1 to phone2: the copy is dropped, and the call reaches phone2 only.
  const std::uint64_t dropped = stats().copies_dropped;
  ASSERT_TRUE(register_phone(s, phone1, "bob", ";expires=0", 2));
  ASSERT_TRUE(register_phone(s, phone2, "bob"));
  ASSERT_TRUE(wait_drops(dropped + 1));
  {
    const ServiceStats before = stats();
    auto inv = call(s, *alice, phone2, caller_for(alice->port, "moved" + std::to_string(++calls)));
    ASSERT_NE(inv, nullptr);
    EXPECT_EQ(inv->msg.request_uri(), contact_of("bob", phone2));
    EXPECT_EQ(stats().lookups_posted, before.lookups_posted + 1);
    EXPECT_EQ(wait_request(phone1, sip::Method::invite, 200), nullptr);
  }

  // bob leaves: no copy says otherwise, and the call gets 404.
  const std::uint64_t dropped_before_leaving = stats().copies_dropped;
  ASSERT_TRUE(register_phone(s, phone2, "bob", ";expires=0", 2));
  ASSERT_TRUE(wait_drops(dropped_before_leaving + 1));
  Caller c = caller_for(alice->port, "gone" + std::to_string(++calls));
  alice->send(s.udp_port, invite(c));
  auto final_answer = wait_final(*alice, "INVITE");
  ASSERT_NE(final_answer, nullptr);
  EXPECT_EQ(final_answer->msg.status_code(), 404);
  EXPECT_EQ(wait_request(phone2, sip::Method::invite, 200), nullptr);
}

TEST(ProxyService, ARequestToAStrictRouterCarriesItsUriAsRequestUriAndTheTargetLastInRoute) {
  // RFC 3261 §16.6 step 6: the next Route value has no lr, so the next hop is an RFC 2543 strict
  // router: it gets its own URI as Request-URI and the Request-URI as the last Route value.
  Service s(proxy_config(1));
  UdpClient alice, strict;
  Caller c = caller_for(alice.port, "strict-out");
  const std::string us = "<sip:127.0.0.1:" + std::to_string(s.udp_port) + ";lr>";
  const std::string router = "sip:127.0.0.1:" + std::to_string(strict.port);
  alice.send(s.udp_port, invite(c, "Route: " + us + ", <" + router + ">, <sip:next@192.0.2.9;lr>\r\n"));
  auto inv = wait_request(strict, sip::Method::invite);
  ASSERT_NE(inv, nullptr);
  EXPECT_EQ(inv->msg.request_uri(), router);
  EXPECT_EQ(values(inv->msg, sip::HeaderId::route),
            (std::vector<std::string>{"<sip:next@192.0.2.9;lr>", "<sip:bob@example.com>"}));
  EXPECT_TRUE(is_own_via(values(inv->msg, sip::HeaderId::via)[0]));
}

TEST(ProxyService, ARequestFromAStrictRouterGoesToTheLastRouteValueOverOurRecordedFlow) {
  // RFC 3261 §16.4: a strict router before us puts our Record-Route URI in the Request-URI and
  // the remote target last in Route; we put the target back as Request-URI and take that Route
  // value out. The flow tokens of our URI still say where the request goes.
  Service s(proxy_config(1));
  UdpClient alice, bob;
  ASSERT_TRUE(register_phone(s, bob, "bob"));
  const Caller c = caller_for(alice.port, "strict-in");
  const AnsweredCall a = answered_call(s, alice, bob, c);
  ASSERT_TRUE(a.answered);
  const std::string bob_contact = contact_of("bob", bob);
  ASSERT_GT(a.record_route.size(), 2u);
  const std::string our_uri = a.record_route.substr(1, a.record_route.size() - 2);  // without the <>

  const std::string port = std::to_string(alice.port);
  alice.send(s.udp_port, caller_request(c, "BYE", our_uri, "z9hG4bKsbye" + port, 2, "b1",
                                        "Route: <" + bob_contact + ">\r\n"));
  auto bye = wait_request(bob, sip::Method::bye);
  ASSERT_NE(bye, nullptr);
  EXPECT_EQ(bye->msg.request_uri(), bob_contact);
  EXPECT_FALSE(bye->msg.has(sip::HeaderId::route));  // our URI was consumed as our own Route
  bob.send(s.udp_port, response_to(bye->msg, 200, "OK", ""));
  auto bye_ok = wait_response(alice, 200, "BYE");
  ASSERT_NE(bye_ok, nullptr);

  // A Request-URI naming us with tokens we did not sign is not a Record-Route of ours: it is not
  // consumed. The request goes by its Route, to a strict router (no lr), and so keeps the
  // Request-URI as its last Route value (§16.6 step 6).
  std::string forged = our_uri;
  const auto at = forged.find('~');
  ASSERT_NE(at, std::string::npos);
  forged[at - 1] = forged[at - 1] == '0' ? '1' : '0';
  alice.send(s.udp_port, caller_request(c, "BYE", forged, "z9hG4bKsbye2" + port, 3, "b1",
                                        "Route: <" + bob_contact + ">\r\n"));
  auto forged_bye = wait_request(bob, sip::Method::bye);
  ASSERT_NE(forged_bye, nullptr);
  EXPECT_EQ(forged_bye->msg.request_uri(), bob_contact);
  EXPECT_EQ(values(forged_bye->msg, sip::HeaderId::route), std::vector<std::string>{"<" + forged + ">"});
}

}  // namespace
}  // namespace duet::server::test
