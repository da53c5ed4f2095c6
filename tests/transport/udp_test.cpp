// UDP: round trips on 127.0.0.1 and ::1, response routing, malformed input.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "duet/sip/message.hpp"
#include "duet/transport/address.hpp"
#include "support/clients.hpp"
#include "support/handler.hpp"
#include "support/messages.hpp"

namespace duet::test {
namespace {

using transport::Proto;

class UdpFamily : public ::testing::TestWithParam<int> {};

TEST_P(UdpFamily, RegisterRoundTripWithRport) {
  const int family = GetParam();
  TestServer s(loopback_config({Proto::udp}));
  UdpClient c(family);
  RequestSpec spec;
  spec.via_host = family == AF_INET ? "127.0.0.1" : "[::1]";
  spec.via_port = 5999;  // wrong on purpose: rport must win
  c.send_to(s.addr(Proto::udp, family), request(spec));
  const auto r = c.recv();
  ASSERT_TRUE(r);
  EXPECT_EQ(status_of(*r), 200);
  EXPECT_NE(header_of(*r, "Via").find(";rport=" + std::to_string(c.port())), std::string::npos) << *r;
  EXPECT_TRUE(transport::sockaddr_equal(c.last_from(), s.addr(Proto::udp, family)));
  ASSERT_EQ(s.handler.wait_for(1), 1u);
  const auto got = s.handler.received()[0];
  EXPECT_EQ(got.src.proto, Proto::udp);
  EXPECT_EQ(got.src.conn_id, 0u);
  EXPECT_EQ(transport::sockaddr_port(got.src.peer), c.port());
  EXPECT_TRUE(transport::sockaddr_equal(got.src.local, s.addr(Proto::udp, family)));
  EXPECT_EQ(got.raw, request(spec));
}

INSTANTIATE_TEST_SUITE_P(Families, UdpFamily, ::testing::Values(AF_INET, AF_INET6));

TEST(Udp, WithoutRportTheResponseGoesToTheViaPort) {
  TestServer s(loopback_config({Proto::udp}));
  UdpClient sender, via_target;
  RequestSpec spec;
  spec.rport = false;
  spec.via_port = via_target.port();
  sender.send_to(s.addr(Proto::udp), request(spec));
  const auto r = via_target.recv();
  ASSERT_TRUE(r);
  EXPECT_EQ(status_of(*r), 200);
  EXPECT_FALSE(sender.recv(200));
}

// The expected reason is whatever the parser says for these bytes: the transport must relay it.
std::string expected_400(std::string_view bytes) {
  sip::Message m;
  const auto r = sip::parse(bytes, m, {.mode = sip::Framing::datagram});
  EXPECT_EQ(r.status, sip::ParseStatus::error);
  return "SIP/2.0 400 " + std::string(sip::reason(r.error)) + "\r\n";
}

TEST(Udp, MalformedRequestGets400WithTheParsersReason) {
  TestServer s(loopback_config({Proto::udp}));
  UdpClient c;
  for (const std::string bad : {"CSeq: abc REGISTER\r\n", "Max-Forwards: many\r\n"}) {
    RequestSpec spec;
    auto msg = request(spec);
    const auto name = bad.substr(0, bad.find(':') + 1);
    const auto at = msg.find(name);
    msg.replace(at, msg.find("\r\n", at) + 2 - at, bad);
    c.send_to(s.addr(Proto::udp), msg);
    const auto r = c.recv();
    ASSERT_TRUE(r) << bad;
    EXPECT_EQ(r->substr(0, r->find("\r\n") + 2), expected_400(msg));
    EXPECT_EQ(header_of(*r, "Call-ID"), spec.call_id);
  }
  EXPECT_EQ(s.handler.received().size(), 0u);
  EXPECT_EQ(s.rt->stats().malformed_answered, 2u);
}

TEST(Udp, RequestWithAnUnreadableTopViaGets400AtItsSource) {
  // RFC 4475 §3.1.2.1 (badinv01): empty Via params. The Via is echoed as it came and the answer
  // goes to the source address and port, as rport would send it.
  TestServer s(loopback_config({Proto::udp}));
  UdpClient c;
  RequestSpec spec;
  auto msg = request(spec);
  const auto at = msg.find("Via:");
  msg.replace(at, msg.find("\r\n", at) + 2 - at, "Via: SIP/2.0/UDP 192.0.2.15;;,;,,\r\n");
  c.send_to(s.addr(Proto::udp), msg);
  const auto r = c.recv();
  ASSERT_TRUE(r);
  EXPECT_EQ(status_of(*r), 400);
  EXPECT_EQ(header_of(*r, "Via"), "SIP/2.0/UDP 192.0.2.15;;,;,,");
  EXPECT_EQ(header_of(*r, "Call-ID"), spec.call_id);
  EXPECT_EQ(s.handler.received().size(), 0u);
}

TEST(Udp, UnsupportedVersionGets505) {
  TestServer s(loopback_config({Proto::udp}));
  UdpClient c;
  auto msg = request({});
  msg.replace(msg.find("SIP/2.0\r\n"), 7, "SIP/3.0");
  c.send_to(s.addr(Proto::udp), msg);
  const auto r = c.recv();
  ASSERT_TRUE(r);
  EXPECT_EQ(status_of(*r), 505);
  EXPECT_EQ(s.handler.received().size(), 0u);
}

TEST(Udp, GarbageAndMalformedResponsesAreDroppedAndCounted) {
  TestServer s(loopback_config({Proto::udp}));
  UdpClient c;
  c.send_to(s.addr(Proto::udp), "hello world");
  c.send_to(s.addr(Proto::udp), std::string("\x00\x01\x02\xff", 4));
  c.send_to(s.addr(Proto::udp), "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1\r\n\r\n");
  c.send_to(s.addr(Proto::udp), "REGISTER sip:x SIP/2.0\r\n\r\n");  // no headers to answer with
  EXPECT_FALSE(c.recv(300));
  EXPECT_EQ(s.rt->stats().malformed_dropped, 4u);
  EXPECT_EQ(s.handler.received().size(), 0u);
  c.send_to(s.addr(Proto::udp), "\r\n\r\n");  // a keepalive: ignored, not counted
  c.send_to(s.addr(Proto::udp), request({}));
  const auto r = c.recv();
  ASSERT_TRUE(r);
  EXPECT_EQ(status_of(*r), 200);
  EXPECT_EQ(s.rt->stats().malformed_dropped, 4u);
}

TEST(Udp, FloodOfMalformedDatagramsStillServesValidRegisters) {
  auto cfg = loopback_config({Proto::udp}, 2);
  TestServer s(cfg);
  UdpClient flooder, phone;
  const std::string junk[] = {"garbage", "INVITE sip:x SIP/2.0\r\nVia: x\r\n\r\n", "SIP/2.0 999\r\n\r\n",
                              request({}).substr(0, 120), std::string(1400, 'A')};
  for (int i = 0; i < 20000; ++i) flooder.send_to(s.addr(Proto::udp), junk[i % 5]);
  RequestSpec spec;
  spec.call_id = "after-flood";
  phone.send_to(s.addr(Proto::udp), request(spec));
  std::optional<std::string> r;
  // Some datagrams may be lost to a full socket buffer; a phone retransmits, so do we (bounded).
  for (int attempt = 0; attempt < 5 && !r; ++attempt) {
    r = phone.recv(1000);
    if (!r) phone.send_to(s.addr(Proto::udp), request(spec));
  }
  ASSERT_TRUE(r);
  EXPECT_EQ(status_of(*r), 200);
  EXPECT_EQ(header_of(*r, "Call-ID"), "after-flood");
  EXPECT_GT(s.rt->stats().malformed_dropped, 0u);
}

// A burst arrives in recvmmsg batches and the replies leave in sendmmsg batches: none may be lost
// or sent to the wrong client.
TEST(Udp, BurstFromManyClientsIsAnsweredToEachOfThem) {
  TestServer s(loopback_config({Proto::udp}));
  constexpr int kClients = 4, kEach = 60;
  std::vector<std::unique_ptr<UdpClient>> clients;
  for (int i = 0; i < kClients; ++i) clients.push_back(std::make_unique<UdpClient>());
  for (int n = 0; n < kEach; ++n) {
    for (int i = 0; i < kClients; ++i) {
      RequestSpec spec;
      spec.call_id = "burst-" + std::to_string(i);
      spec.cseq = static_cast<std::uint32_t>(n + 1);
      clients[i]->send_to(s.addr(Proto::udp), request(spec));
    }
  }
  for (int i = 0; i < kClients; ++i) {
    std::vector<bool> seen(kEach + 1, false);
    int got = 0;
    while (auto r = clients[i]->recv(1000)) {
      ASSERT_EQ(header_of(*r, "Call-ID"), "burst-" + std::to_string(i));
      const auto cseq = std::stoi(header_of(*r, "CSeq"));
      ASSERT_GE(cseq, 1);
      ASSERT_LE(cseq, kEach);
      EXPECT_FALSE(seen[cseq]) << "duplicate reply " << cseq;
      seen[cseq] = true;
      if (++got == kEach) break;
    }
    EXPECT_EQ(got, kEach) << "client " << i;
  }
}

}  // namespace
}  // namespace duet::test
