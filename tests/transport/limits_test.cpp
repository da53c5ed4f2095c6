// Stream limits: oversize messages, idle timeout, connection caps, half-open floods.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>
#include <vector>

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

TEST(Limits, BodyPastTheLimitGets513AndClose) {
  auto cfg = loopback_config({Proto::tcp});
  cfg.max_message_size = 2048;
  TestServer s(cfg);
  StreamClient c(s.addr(Proto::tcp));
  auto spec = tcp_spec();
  spec.body = std::string(4000, 'x');
  ASSERT_TRUE(c.send(request(spec)));
  const auto r = c.read_message();
  ASSERT_TRUE(r);
  EXPECT_EQ(status_of(*r), 513);
  EXPECT_EQ(header_of(*r, "Call-ID"), spec.call_id);
  EXPECT_TRUE(c.closed_by_peer());
  EXPECT_EQ(s.handler.received().size(), 0u);
  EXPECT_EQ(s.rt->stats().oversize_closed, 1u);
}

TEST(Limits, HeaderBlockThatNeverEndsIsCutOff) {
  auto cfg = loopback_config({Proto::tcp});
  cfg.max_message_size = 2048;
  TestServer s(cfg);
  StreamClient c(s.addr(Proto::tcp));
  auto head = request(tcp_spec());
  head.resize(head.find("Content-Length"));
  ASSERT_TRUE(c.send(head));
  bool sent_all = true;
  for (int i = 0; i < 200 && sent_all; ++i) sent_all = c.send("X-Filler: " + std::string(40, 'f') + "\r\n");
  // Either the answer (400 or 513, per the parser's view of what overflowed) or nothing, then close.
  const auto r = c.read_message();
  if (r) {
    EXPECT_TRUE(status_of(*r) == 513 || status_of(*r) == 400) << *r;
  }
  EXPECT_TRUE(c.closed_by_peer());
  EXPECT_EQ(s.rt->stats().oversize_closed, 1u);
}

TEST(Limits, IdleConnectionsAreClosed) {
  auto cfg = loopback_config({Proto::tcp});
  cfg.idle_timeout_ms = 200;
  TestServer s(cfg);
  StreamClient idle(s.addr(Proto::tcp));
  StreamClient busy(s.addr(Proto::tcp));
  const auto start = std::chrono::steady_clock::now();
  // The busy one pings every 50 ms for 600 ms and must survive; the idle one must not.
  for (int i = 0; i < 12; ++i) {
    ASSERT_TRUE(busy.send("\r\n\r\n"));
    ASSERT_EQ(busy.read_exact(2), std::optional<std::string>("\r\n"));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(idle.closed_by_peer(1000));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(200));
  ASSERT_TRUE(busy.send(request(tcp_spec())));
  EXPECT_TRUE(busy.read_message());
  EXPECT_GE(s.rt->stats().connections_idle_closed, 1u);
}

// A client that begins a message and trickles it (one byte every 50 ms: never idle) is closed once
// the message is not whole message_read_timeout after its first byte; one that sends whole messages
// in pieces, each finished in time, stays however long it goes on.
TEST(Limits, MessageThatTricklesIsCutOffAtTheReadTimeout) {
  TestServer s(with_read_timeout(loopback_config({Proto::tcp}), 300));
  StreamClient slow(s.addr(Proto::tcp));
  StreamClient steady(s.addr(Proto::tcp));
  const std::string msg = request(tcp_spec());
  ASSERT_TRUE(slow.send(msg.substr(0, 40)));
  bool closed = false;
  std::uint32_t cseq = 1;
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 40; i < 40 + 20 && !closed; ++i) {  // 20 x 50 ms = 1 s, well past 300 ms
    closed = !slow.send(msg.substr(i, 1));
    // steady: each message in two halves 25 ms apart, answered each time.
    const std::string m = request(tcp_spec(++cseq));
    ASSERT_TRUE(steady.send(m.substr(0, m.size() / 2)));
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    ASSERT_TRUE(steady.send(m.substr(m.size() / 2)));
    ASSERT_TRUE(steady.read_message()) << "message " << cseq;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_TRUE(slow.closed_by_peer(1000));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));
  EXPECT_EQ(s.rt->stats().connections_read_timeout, 1u);
  EXPECT_EQ(s.rt->stats().connections_idle_closed, 0u);
  EXPECT_EQ(s.handler.received().size(), static_cast<std::size_t>(cseq - 1));  // none from slow
}

// Line ends alone are no message begun: a CRLF sent after a message (or a lone CRLF keepalive) left
// in the buffer through a quiet spell longer than the read timeout does not close the flow.
TEST(Limits, StrayLineEndsDoNotStartTheReadTimeout) {
  TestServer s(with_read_timeout(loopback_config({Proto::tcp}), 200));
  StreamClient c(s.addr(Proto::tcp));
  ASSERT_TRUE(c.send(request(tcp_spec(1)) + "\r\n"));
  ASSERT_TRUE(c.read_message());
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  ASSERT_TRUE(c.send(request(tcp_spec(2))));
  EXPECT_TRUE(c.read_message()) << "the flow was closed";
  EXPECT_EQ(s.rt->stats().connections_read_timeout, 0u);
}

TEST(Limits, PerAddressCap) {
  auto cfg = loopback_config({Proto::tcp});
  cfg.max_connections_per_ip = 3;
  TestServer s(cfg);
  std::vector<std::unique_ptr<StreamClient>> ok;
  for (int i = 0; i < 3; ++i) {
    ok.push_back(std::make_unique<StreamClient>(s.addr(Proto::tcp)));
    ASSERT_TRUE(ok.back()->send(request(tcp_spec(static_cast<std::uint32_t>(i + 1)))));
    ASSERT_TRUE(ok.back()->read_message());
  }
  StreamClient refused(s.addr(Proto::tcp));
  EXPECT_TRUE(refused.closed_by_peer());
  // ::1 is another address: its own quota.
  StreamClient v6(s.addr(Proto::tcp, AF_INET6));
  ASSERT_TRUE(v6.send(request(tcp_spec())));
  EXPECT_TRUE(v6.read_message());
  // Closing one frees its slot.
  ok.pop_back();
  std::optional<std::string> r;
  for (int attempt = 0; attempt < 50 && !r; ++attempt) {
    StreamClient again(s.addr(Proto::tcp));
    if (again.send(request(tcp_spec()))) r = again.read_message(200);
  }
  EXPECT_TRUE(r);
  EXPECT_GE(s.rt->stats().connections_rejected, 1u);
}

TEST(Limits, TotalCap) {
  auto cfg = loopback_config({Proto::tcp});
  cfg.max_connections = 2;
  TestServer s(cfg);
  StreamClient a(s.addr(Proto::tcp)), b(s.addr(Proto::tcp, AF_INET6));
  ASSERT_TRUE(a.send(request(tcp_spec())));
  ASSERT_TRUE(a.read_message());
  ASSERT_TRUE(b.send(request(tcp_spec())));
  ASSERT_TRUE(b.read_message());
  StreamClient c(s.addr(Proto::tcp));
  EXPECT_TRUE(c.closed_by_peer());
}

TEST(Limits, HalfOpenFloodLeavesRegistersServed) {
  auto cfg = loopback_config({Proto::udp, Proto::tcp}, 2);
  cfg.max_connections_per_ip = 64;
  cfg.idle_timeout_ms = 60'000;
  TestServer s(cfg);
  std::vector<std::unique_ptr<StreamClient>> half_open;
  for (int i = 0; i < 300; ++i) {
    half_open.push_back(std::make_unique<StreamClient>(s.addr(Proto::tcp)));
    half_open.back()->send("REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1");
  }
  UdpClient phone;
  phone.send_to(s.addr(Proto::udp), request({}));
  const auto r = phone.recv();
  ASSERT_TRUE(r);
  EXPECT_EQ(status_of(*r), 200);
  // The cap held: the rest were refused, and ::1 is still served over TCP. The kernel completes the
  // clients' connects before the workers accept them, so the count may still be catching up.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (s.rt->stats().connections_rejected < 300u - 64u && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_GE(s.rt->stats().connections_rejected, 300u - 64u);
  StreamClient v6(s.addr(Proto::tcp, AF_INET6));
  ASSERT_TRUE(v6.send(request(tcp_spec())));
  EXPECT_TRUE(v6.read_message());
}

}  // namespace
}  // namespace duet::test
