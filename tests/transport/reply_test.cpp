// RFC 3261 §18.2.1/§18.2.2 and RFC 3581: received, rport and where UDP responses go.
#include <gtest/gtest.h>

#include "duet/transport/reply.hpp"

namespace duet::transport {
namespace {

Source udp_from(const char* ip, std::uint16_t port) {
  Source s;
  s.proto = Proto::udp;
  make_sockaddr(ip, port, s.peer);
  return s;
}

sip::Via via(std::string_view text) {
  sip::Via v;
  EXPECT_TRUE(sip::parse_via(text, v)) << text;
  return v;
}

TEST(Reply, RportGetsSourcePortAndReceived) {
  const auto src = udp_from("192.0.2.7", 40000);
  const auto v = via("SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK1;rport");
  char ip[kIpStrLen];
  const auto fix = via_fix(v, src, ip);
  EXPECT_EQ(fix.received, "192.0.2.7");  // RFC 3581 §4: received even when the host matches
  EXPECT_EQ(fix.rport, 40000u);
  EXPECT_EQ(sockaddr_port(response_target(src, v).peer), 40000);
}

TEST(Reply, NoRportGoesToSentByPort) {
  const auto src = udp_from("192.0.2.7", 40000);
  char ip[kIpStrLen];
  const auto v = via("SIP/2.0/UDP 192.0.2.7:5070;branch=z9hG4bK1");
  const auto fix = via_fix(v, src, ip);
  EXPECT_TRUE(fix.received.empty());
  EXPECT_EQ(fix.rport, 0u);
  const auto dst = response_target(src, v);
  EXPECT_EQ(sockaddr_port(dst.peer), 5070);
  EXPECT_TRUE(sockaddr_same_ip(dst.peer, src.peer));
  EXPECT_EQ(sockaddr_port(response_target(src, via("SIP/2.0/UDP 192.0.2.7;branch=z9hG4bK1")).peer), 5060);
}

TEST(Reply, HostThatDiffersFromSourceGetsReceived) {
  const auto src = udp_from("192.0.2.7", 5060);
  char ip[kIpStrLen];
  EXPECT_EQ(via_fix(via("SIP/2.0/UDP pc33.example.com;branch=z9hG4bK1"), src, ip).received, "192.0.2.7");
  EXPECT_EQ(via_fix(via("SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1"), src, ip).received, "192.0.2.7");
}

TEST(Reply, ReceivedTheSenderWroteIsReplacedWithTheSource) {
  const auto src = udp_from("192.0.2.7", 5060);
  char ip[kIpStrLen];
  EXPECT_EQ(via_fix(via("SIP/2.0/UDP 192.0.2.7;branch=z9hG4bK1;received=203.0.113.9"), src, ip).received,
            "192.0.2.7");
}

TEST(Reply, Ipv6ComparedAsAddresses) {
  const auto src = udp_from("::1", 5060);
  char ip[kIpStrLen];
  EXPECT_TRUE(via_fix(via("SIP/2.0/UDP [0:0::1]:5060;branch=z9hG4bK1"), src, ip).received.empty());
  EXPECT_EQ(via_fix(via("SIP/2.0/UDP [::2]:5060;branch=z9hG4bK1"), src, ip).received, "::1");
}

TEST(Reply, StreamsAnswerOnTheSameConnection) {
  auto src = udp_from("192.0.2.7", 40000);
  src.proto = Proto::tcp;
  src.conn_id = 42;
  const auto dst = response_target(src, via("SIP/2.0/TCP 192.0.2.7:5070;branch=z9hG4bK1"));
  EXPECT_EQ(dst.conn_id, 42u);
  EXPECT_EQ(sockaddr_port(dst.peer), 40000);
}

}  // namespace
}  // namespace duet::transport
