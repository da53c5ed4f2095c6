// Flow tokens (RFC 5626 §5.3) written into the proxy's Record-Route: round trips and rejection of
// malformed tokens, and same_flow().
#include "flow_token.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>

#include <string>

#include "duet/transport/address.hpp"

namespace duet::proxy {
namespace {

transport::Source source(transport::Proto p, const char* ip, std::uint16_t port, std::uint64_t conn = 0,
                         std::uint16_t worker = 0) {
  transport::Source s;
  s.proto = p;
  EXPECT_TRUE(transport::make_sockaddr(ip, port, s.peer)) << ip;
  s.conn_id = conn;
  s.worker = worker;
  return s;
}

std::string token_of(const transport::Source& s) {
  std::string t;
  append_flow_token(t, s);
  return t;
}

TEST(ProxyFlowToken, UdpIpv4RoundTrip) {
  const auto src = source(transport::Proto::udp, "127.0.0.1", 5060);
  const std::string t = token_of(src);
  EXPECT_EQ(t, "u0.0.7f000001.13c4");  // the format documented in flow_token.hpp
  transport::Source out;
  ASSERT_TRUE(parse_flow_token(t, out));
  EXPECT_EQ(out.proto, transport::Proto::udp);
  EXPECT_EQ(out.worker, 0);
  EXPECT_EQ(out.conn_id, 0u);
  EXPECT_TRUE(transport::sockaddr_equal(out.peer, src.peer));
  EXPECT_EQ(transport::sockaddr_port(out.peer), 5060);
  EXPECT_TRUE(same_flow(out, src));
}

TEST(ProxyFlowToken, TcpWithConnectionAndWorkerRoundTrip) {
  const auto src = source(transport::Proto::tcp, "192.0.2.33", 40001, 0x1234abcdULL, 7);
  const std::string t = token_of(src);
  EXPECT_EQ(t, "t7.1234abcd.c0000221.9c41");
  transport::Source out;
  // What parse does not fill (the local address) is left as it was.
  ASSERT_TRUE(transport::make_sockaddr("10.1.2.3", 5060, out.local));
  ASSERT_TRUE(parse_flow_token(t, out));
  EXPECT_EQ(out.proto, transport::Proto::tcp);
  EXPECT_EQ(out.worker, 7);
  EXPECT_EQ(out.conn_id, 0x1234abcdULL);
  EXPECT_TRUE(transport::sockaddr_equal(out.peer, src.peer));
  EXPECT_EQ(transport::sockaddr_port(out.local), 5060);
  EXPECT_TRUE(same_flow(out, src));
}

TEST(ProxyFlowToken, TlsIpv6RoundTrip) {
  const auto src = source(transport::Proto::tls, "2001:db8::1", 5061, 0xffffffffffULL, 0xffff);
  const std::string t = token_of(src);
  EXPECT_EQ(t, "sffff.ffffffffff.20010db8000000000000000000000001.13c5");
  transport::Source out;
  ASSERT_TRUE(parse_flow_token(t, out));
  EXPECT_EQ(out.proto, transport::Proto::tls);
  EXPECT_EQ(out.worker, 0xffff);
  EXPECT_EQ(out.conn_id, 0xffffffffffULL);
  EXPECT_EQ(out.peer.ss_family, AF_INET6);
  EXPECT_TRUE(transport::sockaddr_equal(out.peer, src.peer));
  EXPECT_EQ(transport::sockaddr_port(out.peer), 5061);
}

TEST(ProxyFlowToken, UdpIpv6LoopbackRoundTrip) {
  const auto src = source(transport::Proto::udp, "::1", 1, 0, 1);
  transport::Source out;
  ASSERT_TRUE(parse_flow_token(token_of(src), out));
  EXPECT_TRUE(transport::sockaddr_equal(out.peer, src.peer));
  EXPECT_EQ(out.worker, 1);
  EXPECT_TRUE(same_flow(out, src));
}

TEST(ProxyFlowToken, UnknownFamilyWritesNothing) {
  transport::Source s;  // AF_UNSPEC
  std::string t = "keep";
  append_flow_token(t, s);
  EXPECT_EQ(t, "keep");
}

TEST(ProxyFlowToken, MalformedTokensAreRejected) {
  for (const char* bad : {
           "",
           "u",
           "x0.0.7f000001.13c4",                         // unknown protocol letter
           "U0.0.7f000001.13c4",                         // letters are lower case
           "u.0.7f000001.13c4",                          // no worker
           "u0..7f000001.13c4",                          // no connection id
           "u0.0..13c4",                                 // no address
           "u0.0.7f000001",                              // no port
           "u0.0.7f000001.",                             // empty port
           "u0.0.7f0000.13c4",                           // 3-byte address
           "u0.0.7f00000001.13c4",                       // 5-byte address
           "u0.0.7f00000g.13c4",                         // not hex
           "u0.0.7f000001.10000",                        // port > 0xffff
           "u10000.0.7f000001.13c4",                     // worker > 0xffff
           "u0.0.7f000001.13c4.1",                       // trailing field
           "u0.0.7f000001.13c4~",                        // two tokens are split by the caller
           "u-1.0.7f000001.13c4",                        // sign
           "u0.0.7f000001.-1",                           // sign
           "u0.0.7f000001.13 c4",                        // space
           "u0.0.+f000001.13c4",                         // sign inside the address
           "u0.0.7f000001.13c4x",                        // junk after the port
           "t0.zz.7f000001.13c4",                        // connection id not hex
           "u0.0.2001db8000000000000000000000001.13c4",  // 31 hex digits
       }) {
    transport::Source out;
    EXPECT_FALSE(parse_flow_token(bad, out)) << '"' << bad << '"';
  }
}

TEST(ProxyFlowToken, SameFlowUdpComparesAddressAndPort) {
  const auto a = source(transport::Proto::udp, "192.0.2.1", 5060);
  EXPECT_TRUE(
      same_flow(a, source(transport::Proto::udp, "192.0.2.1", 5060, 0, 3)));  // worker does not matter
  EXPECT_FALSE(same_flow(a, source(transport::Proto::udp, "192.0.2.1", 5062)));
  EXPECT_FALSE(same_flow(a, source(transport::Proto::udp, "192.0.2.2", 5060)));
  EXPECT_FALSE(same_flow(a, source(transport::Proto::udp, "::1", 5060)));
}

TEST(ProxyFlowToken, SameFlowStreamsCompareTheConnection) {
  const auto a = source(transport::Proto::tcp, "192.0.2.1", 40000, 42);
  // Same connection id: same flow, whatever the address says.
  EXPECT_TRUE(same_flow(a, source(transport::Proto::tcp, "192.0.2.9", 1, 42)));
  EXPECT_FALSE(same_flow(a, source(transport::Proto::tcp, "192.0.2.1", 40000, 43)));
  // Another protocol is another flow, even with the same connection id and address.
  EXPECT_FALSE(same_flow(a, source(transport::Proto::tls, "192.0.2.1", 40000, 42)));
  EXPECT_FALSE(same_flow(a, source(transport::Proto::udp, "192.0.2.1", 40000, 42)));
}

TEST(ProxyFlowToken, SignedTokensVerifyAndTamperingFails) {
  const std::string tokens = "u0.0.7f000001.13c4~t1.2a.7f000001.9c40";
  std::string user = tokens + "~";
  append_token_mac(user, tokens, "1001");
  ASSERT_EQ(user.size(), tokens.size() + 1 + 16);
  std::string_view got;
  EXPECT_TRUE(signed_tokens(user, "1001", got));
  EXPECT_EQ(got, tokens);
  EXPECT_FALSE(signed_tokens(user, "1002", got));  // the DN is signed too
  EXPECT_FALSE(signed_tokens(user, "", got));
  std::string other = user;
  other[1] = '1';  // another worker: another flow
  EXPECT_FALSE(signed_tokens(other, "1001", got));
  other = user;
  other.back() = other.back() == '0' ? '1' : '0';  // a forged MAC
  EXPECT_FALSE(signed_tokens(other, "1001", got));
  EXPECT_FALSE(signed_tokens(tokens, "1001", got));  // unsigned (no MAC part)
  EXPECT_FALSE(signed_tokens("", "", got));
}

}  // namespace
}  // namespace duet::proxy
