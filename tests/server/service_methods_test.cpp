// Everything but REGISTER: OPTIONS to us, refusals, ACK and stray responses.
#include <gtest/gtest.h>

#include "duet/sip/header_id.hpp"
#include "service_fixture.hpp"
#include "simple_responses.hpp"

namespace duet::server::test {
namespace {

std::string request(const std::string& method, const std::string& ruri, std::uint16_t via_port,
                    int max_forwards = 70) {
  std::string s = method + " " + ruri + " SIP/2.0\r\n";
  s += "Via: SIP/2.0/UDP 127.0.0.1:" + std::to_string(via_port) + ";branch=z9hG4bK" + method + ";rport\r\n";
  s += "Max-Forwards: " + std::to_string(max_forwards) + "\r\n";
  s += "To: <" + ruri + ">\r\n";
  s += "From: <sip:probe@example.com>;tag=p1\r\n";
  s += "Call-ID: m-" + method + "@127.0.0.1\r\n";
  s += "CSeq: 1 " + method + "\r\n";
  s += "Content-Length: 0\r\n\r\n";
  return s;
}

config::Config one_worker_with_domain() {
  config::Config c;
  c.workers = 1;
  c.registrar.domains = {"example.com"};
  return c;
}

TEST(ServiceMethods, OptionsToUsIs200WithAllowAcceptSupported) {
  Service s(one_worker_with_domain());
  UdpClient c;
  for (const std::string ruri : {"sip:127.0.0.1", "sip:example.com", "sip:EXAMPLE.com"}) {
    c.send(s.udp_port, request("OPTIONS", ruri, c.port));
    auto r = parse_response(c.recv());
    ASSERT_TRUE(r->ok) << ruri;
    EXPECT_EQ(r->msg.status_code(), 200) << ruri;
    EXPECT_NE(r->msg.header(sip::HeaderId::allow).find("REGISTER"), std::string_view::npos);
    EXPECT_NE(r->msg.header(sip::HeaderId::allow).find("OPTIONS"), std::string_view::npos);
    EXPECT_EQ(r->msg.header(sip::HeaderId::accept), "application/sdp");
    EXPECT_NE(r->msg.header(sip::HeaderId::supported).find("outbound"), std::string_view::npos);
    EXPECT_NE(r->msg.header(sip::HeaderId::to).find("tag="), std::string_view::npos);
  }
  EXPECT_EQ(s.service().stats().options, 3u);
}

TEST(ServiceMethods, OptionsToUsRequiringAnUnknownExtensionIs420ListingIt) {
  Service s(one_worker_with_domain());
  UdpClient c;
  std::string req = request("OPTIONS", "sip:127.0.0.1", c.port);
  req.insert(req.find("Content-Length"), "Require: 100rel, outbound\r\nRequire: timer\r\n");
  c.send(s.udp_port, req);
  auto r = parse_response(c.recv());
  ASSERT_TRUE(r->ok);
  EXPECT_EQ(r->msg.status_code(), 420);
  EXPECT_EQ(r->msg.header(sip::HeaderId::unsupported), "100rel, timer");  // outbound is ours
  EXPECT_TRUE(r->msg.header(sip::HeaderId::allow).empty());
  // Only what we implement required: answered as usual.
  req = request("OPTIONS", "sip:127.0.0.1", c.port);
  req.insert(req.find("Content-Length"), "Require: outbound, path\r\n");
  c.send(s.udp_port, req);
  r = parse_response(c.recv());
  ASSERT_TRUE(r->ok);
  EXPECT_EQ(r->msg.status_code(), 200);
}

TEST(ServiceMethods, OptionsToAUserIsProxiedToItsBindings) {
  Service s(one_worker_with_domain());
  UdpClient c;
  c.send(s.udp_port, request("OPTIONS", "sip:anyone@EXAMPLE.com", c.port));
  auto r = parse_response(c.recv());
  ASSERT_TRUE(r->ok);
  EXPECT_EQ(r->msg.status_code(), 404);  // nobody registered as anyone@example.com
  EXPECT_EQ(s.service().stats().options, 0u);
}

TEST(ServiceMethods, OptionsWithMaxForwardsZeroIsStillAnswered) {
  Service s(one_worker_with_domain());
  UdpClient c;
  c.send(s.udp_port, request("OPTIONS", "sip:127.0.0.1", c.port, 0));
  auto r = parse_response(c.recv());
  ASSERT_TRUE(r->ok);
  EXPECT_EQ(r->msg.status_code(), 200);
}

TEST(ServiceMethods, OptionsForSomeoneElsewhereIsNotRelayed) {
  Service s(one_worker_with_domain());
  UdpClient c;
  c.send(s.udp_port, request("OPTIONS", "sip:bob@other.org", c.port));
  auto r = parse_response(c.recv());
  ASSERT_TRUE(r->ok);
  EXPECT_EQ(r->msg.status_code(), 403);
}

TEST(ServiceMethods, RequestsForUnregisteredUsersAre404UnknownMethodsToo) {
  Service s(one_worker_with_domain());
  UdpClient c;
  c.send(s.udp_port, request("INVITE", "sip:bob@example.com", c.port));
  auto trying = parse_response(c.recv());
  ASSERT_TRUE(trying->ok);
  EXPECT_EQ(trying->msg.status_code(), 100);  // §16.2: an INVITE gets 100 Trying at once
  auto r = parse_response(c.recv());
  ASSERT_TRUE(r->ok);
  EXPECT_EQ(r->msg.status_code(), 404);
  // A proxy forwards methods it does not know (§16): it is the user that is missing.
  c.send(s.udp_port, request("FROB", "sip:bob@example.com", c.port));
  auto r2 = parse_response(c.recv());
  ASSERT_TRUE(r2->ok);
  EXPECT_EQ(r2->msg.status_code(), 404);
}

TEST(ServiceMethods, RequestsToTheServerItselfAre405WithAllow) {
  Service s(one_worker_with_domain());
  UdpClient c;
  c.send(s.udp_port, request("MESSAGE", "sip:example.com", c.port));
  auto r = parse_response(c.recv());
  ASSERT_TRUE(r->ok);
  EXPECT_EQ(r->msg.status_code(), 405);
  // The proxy's 405 lists what the server's own answers list (RFC 3261 §20.5: ACK and CANCEL too).
  EXPECT_EQ(r->msg.header(sip::HeaderId::allow), kAllow);
  c.send(s.udp_port, request("OPTIONS", "sip:example.com", c.port));
  r = parse_response(c.recv());
  ASSERT_TRUE(r->ok);
  EXPECT_EQ(r->msg.header(sip::HeaderId::allow), kAllow);
}

// A UA pinging its outbound proxy: OPTIONS to us with a Route naming us. Answered like any OPTIONS
// to us (by the proxy, which removes its own Routes first), not 405.
TEST(ServiceMethods, OptionsToUsThroughOurOwnRouteIs200) {
  Service s(one_worker_with_domain());
  UdpClient c;
  std::string req = request("OPTIONS", "sip:example.com", c.port);
  req.insert(req.find("Content-Length"), "Route: <sip:127.0.0.1:" + std::to_string(s.udp_port) + ";lr>\r\n");
  c.send(s.udp_port, req);
  auto r = parse_response(c.recv());
  ASSERT_TRUE(r->ok);
  EXPECT_EQ(r->msg.status_code(), 200);
  EXPECT_EQ(r->msg.header(sip::HeaderId::allow), kAllow);
  EXPECT_EQ(r->msg.header(sip::HeaderId::accept), kAccept);
  EXPECT_EQ(r->msg.header(sip::HeaderId::supported), kSupported);
}

TEST(ServiceMethods, AckAndResponsesGetNoAnswer) {
  Service s(one_worker_with_domain());
  UdpClient c;
  c.send(s.udp_port, request("ACK", "sip:bob@example.com", c.port));
  c.send(
      s.udp_port,
      "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKx\r\nTo: <sip:a@example.com>;tag=1\r\n"
      "From: <sip:b@example.com>;tag=2\r\nCall-ID: stray\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
  // Then something that is answered, to know both were processed.
  c.send(s.udp_port, request("OPTIONS", "sip:127.0.0.1", c.port));
  auto r = parse_response(c.recv());
  ASSERT_TRUE(r->ok);
  EXPECT_EQ(r->msg.cseq_method(), "OPTIONS");
  EXPECT_TRUE(c.recv(200).empty());
  EXPECT_EQ(s.service().stats().responses_dropped, 1u);
}

}  // namespace
}  // namespace duet::server::test
