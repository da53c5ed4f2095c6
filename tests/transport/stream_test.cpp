// TCP: round trips, framing across arbitrary splits, pipelining, RFC 5626 keepalives, malformed input.
#include <gtest/gtest.h>

#include <thread>

#include "duet/sip/message.hpp"
#include "duet/transport/address.hpp"
#include "support/clients.hpp"
#include "support/handler.hpp"
#include "support/messages.hpp"

namespace duet::test {
namespace {

using transport::Proto;

RequestSpec tcp_spec(std::uint32_t cseq = 1) {
  RequestSpec s;
  s.transport = "TCP";
  s.cseq = cseq;
  return s;
}

class TcpFamily : public ::testing::TestWithParam<int> {};

TEST_P(TcpFamily, RoundTripOnTheSameConnection) {
  const int family = GetParam();
  TestServer s(loopback_config({Proto::tcp}));
  StreamClient c(s.addr(Proto::tcp, family));
  ASSERT_TRUE(c.connected());
  for (std::uint32_t i = 1; i <= 2; ++i) {
    ASSERT_TRUE(c.send(request(tcp_spec(i))));
    const auto r = c.read_message();
    ASSERT_TRUE(r);
    EXPECT_EQ(status_of(*r), 200);
    EXPECT_EQ(header_of(*r, "CSeq"), std::to_string(i) + " REGISTER");
  }
  StreamClient other(s.addr(Proto::tcp, family));
  ASSERT_TRUE(other.send(request(tcp_spec(3))));
  ASSERT_TRUE(other.read_message());
  const auto got = s.handler.received();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].src.proto, Proto::tcp);
  EXPECT_NE(got[0].src.conn_id, 0u);
  EXPECT_EQ(got[0].src.conn_id, got[1].src.conn_id);
  EXPECT_NE(got[0].src.conn_id, got[2].src.conn_id);
  EXPECT_EQ(transport::sockaddr_port(got[0].src.peer), c.local_port());
  EXPECT_TRUE(transport::sockaddr_equal(got[0].src.local, s.addr(Proto::tcp, family)));
}

INSTANTIATE_TEST_SUITE_P(Families, TcpFamily, ::testing::Values(AF_INET, AF_INET6));

TEST(Tcp, FramingSplitAtEveryByte) {
  TestServer s(loopback_config({Proto::tcp}));
  StreamClient c(s.addr(Proto::tcp));
  auto spec = tcp_spec();
  spec.body = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n";
  spec.extra = "Content-Type: application/sdp\r\n";
  const auto base = request(spec);
  for (std::size_t split = 1; split < base.size(); ++split) {
    spec.cseq = static_cast<std::uint32_t>(split);
    const auto msg = request(spec);
    ASSERT_TRUE(c.send(std::string_view(msg).substr(0, split)));
    // Give the server a chance to read the first part on its own.
    std::this_thread::sleep_for(std::chrono::microseconds(300));
    ASSERT_TRUE(c.send(std::string_view(msg).substr(split)));
    const auto r = c.read_message();
    ASSERT_TRUE(r) << "split at " << split;
    ASSERT_EQ(header_of(*r, "CSeq"), std::to_string(split) + " REGISTER");
  }
  const auto got = s.handler.received();
  ASSERT_EQ(got.size(), base.size() - 1);
  spec.cseq = 7;
  EXPECT_EQ(got[6].raw, request(spec));
}

TEST(Tcp, PipelinedMessagesInOneWrite) {
  TestServer s(loopback_config({Proto::tcp}));
  StreamClient c(s.addr(Proto::tcp));
  ASSERT_TRUE(c.send(request(tcp_spec(1)) + "\r\n" + request(tcp_spec(2)) + request(tcp_spec(3))));
  for (int i = 1; i <= 3; ++i) {
    const auto r = c.read_message();
    ASSERT_TRUE(r);
    EXPECT_EQ(header_of(*r, "CSeq"), std::to_string(i) + " REGISTER");
  }
}

TEST(Tcp, KeepalivePingGetsPong) {
  TestServer s(loopback_config({Proto::tcp}));
  StreamClient c(s.addr(Proto::tcp));
  ASSERT_TRUE(c.send("\r\n\r\n"));
  EXPECT_EQ(c.read_exact(2), std::optional<std::string>("\r\n"));
  ASSERT_TRUE(c.send(request(tcp_spec(1)) + "\r\n\r\n"));
  ASSERT_TRUE(c.read_message());
  EXPECT_EQ(c.read_exact(2), std::optional<std::string>("\r\n"));
  EXPECT_EQ(s.rt->stats().keepalive_pings, 2u);
}

TEST(Tcp, MalformedRequestGets400AndTheConnectionStays) {
  TestServer s(loopback_config({Proto::tcp}));
  StreamClient c(s.addr(Proto::tcp));
  auto msg = request(tcp_spec());
  msg.replace(msg.find("CSeq: 1 REGISTER"), 16, "CSeq: x REGISTER");
  sip::Message m;
  const auto pr = sip::parse(msg, m, {.mode = sip::Framing::stream});
  ASSERT_EQ(pr.status, sip::ParseStatus::error);
  ASSERT_TRUE(c.send(msg));
  const auto r = c.read_message();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->substr(0, r->find("\r\n")), "SIP/2.0 400 " + std::string(sip::reason(pr.error)));
  ASSERT_TRUE(c.send(request(tcp_spec(2))));
  const auto ok = c.read_message();
  ASSERT_TRUE(ok);
  EXPECT_EQ(status_of(*ok), 200);
  EXPECT_EQ(s.handler.received().size(), 1u);
}

TEST(Tcp, MissingContentLengthGets400AndClose) {
  TestServer s(loopback_config({Proto::tcp}));
  StreamClient c(s.addr(Proto::tcp));
  auto spec = tcp_spec();
  spec.content_length = false;
  ASSERT_TRUE(c.send(request(spec)));
  const auto r = c.read_message();
  ASSERT_TRUE(r);
  EXPECT_EQ(status_of(*r), 400);
  EXPECT_TRUE(c.closed_by_peer());
  EXPECT_EQ(s.handler.received().size(), 0u);
}

TEST(Tcp, GarbageClosesWithoutAnswer) {
  static constexpr char kGarbage[] = "\x16\x03\x01 not sip at all\r\n\r\n";
  TestServer s(loopback_config({Proto::tcp}));
  StreamClient c(s.addr(Proto::tcp));
  ASSERT_TRUE(c.send(std::string_view(kGarbage, sizeof kGarbage - 1)));
  EXPECT_TRUE(c.closed_by_peer());
  EXPECT_EQ(s.handler.received().size(), 0u);
}

}  // namespace
}  // namespace duet::test
