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

// RFC 5626 §4.4.2 / §8.4: a STUN Binding request on the SIP port (a UA's UDP keepalive) is answered
// with a Binding success response carrying the request's source in XOR-MAPPED-ADDRESS (RFC 5389).
TEST_P(UdpFamily, StunBindingRequestIsAnsweredWithTheSourceAddress) {
  const int family = GetParam();
  TestServer s(loopback_config({Proto::udp}));
  UdpClient c(family);
  const std::string txid = "duet-stun-01";  // 12 bytes
  // Binding request with one attribute (SOFTWARE, 4 bytes), so the length is checked too.
  std::string req("\x00\x01\x00\x08\x21\x12\xA4\x42", 8);
  req += txid;
  req += std::string("\x80\x22\x00\x04test", 8);
  c.send_to(s.addr(Proto::udp, family), req);
  const auto r = c.recv();
  ASSERT_TRUE(r);
  const auto u8 = [&](std::size_t i) { return static_cast<unsigned>(static_cast<unsigned char>((*r)[i])); };
  const std::size_t addr_len = family == AF_INET ? 4 : 16;
  ASSERT_EQ(r->size(), 20 + 4 + 4 + addr_len);
  EXPECT_EQ(u8(0) << 8 | u8(1), 0x0101u);  // Binding success response
  EXPECT_EQ(u8(2) << 8 | u8(3), 8 + addr_len);
  EXPECT_EQ(r->substr(4, 4), std::string("\x21\x12\xA4\x42", 4));
  EXPECT_EQ(r->substr(8, 12), txid);
  EXPECT_EQ(u8(20) << 8 | u8(21), 0x0020u);  // XOR-MAPPED-ADDRESS
  EXPECT_EQ(u8(25), family == AF_INET ? 1u : 2u);
  EXPECT_EQ((u8(26) << 8 | u8(27)) ^ 0x2112u, c.port());
  // The address XORed with the cookie and (IPv6) the transaction ID: bytes 4.. of the header.
  std::string addr(addr_len, '\0');
  for (std::size_t i = 0; i < addr_len; ++i) addr[i] = static_cast<char>(u8(28 + i) ^ u8(4 + i));
  const std::string loopback =
      family == AF_INET ? std::string("\x7f\x00\x00\x01", 4) : std::string(15, '\0') + std::string("\x01", 1);
  EXPECT_EQ(addr, loopback);
  EXPECT_EQ(s.rt->stats().keepalive_pings, 1u);
  // Not SIP: the handler saw nothing.
  EXPECT_EQ(s.handler.received().size(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Families, UdpFamily, ::testing::Values(AF_INET, AF_INET6));

// STUN that is not a well-formed Binding request gets no answer: a wrong length is dropped and
// counted, an indication is not answered. SIP on the socket still is.
TEST(Udp, OtherStunIsNotAnswered) {
  TestServer s(loopback_config({Proto::udp}));
  UdpClient c;
  std::string bad_len("\x00\x01\x00\x04\x21\x12\xA4\x42", 8);
  bad_len += "duet-stun-02";  // no attribute follows although the length says 4
  c.send_to(s.addr(Proto::udp), bad_len);
  std::string indication("\x00\x11\x00\x00\x21\x12\xA4\x42", 8);
  indication += "duet-stun-03";
  c.send_to(s.addr(Proto::udp), indication);
  RequestSpec spec;
  c.send_to(s.addr(Proto::udp), request(spec));
  const auto r = c.recv();
  ASSERT_TRUE(r);
  EXPECT_EQ(status_of(*r), 200);  // the first answer is the REGISTER's
  EXPECT_EQ(s.rt->stats().keepalive_pings, 0u);
  EXPECT_EQ(s.rt->stats().malformed_dropped, 2u);
}

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
