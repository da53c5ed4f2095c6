// TLS over memory BIOs: round trips on 127.0.0.1 and ::1, keepalives, handshake failures, bad files.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "support/clients.hpp"
#include "support/handler.hpp"
#include "support/messages.hpp"

namespace duet::test {
namespace {

using transport::Proto;

struct TlsFixture : ::testing::Test {
  TempCert cert;
  SSL_CTX* client = client_tls_context();
  ~TlsFixture() override { SSL_CTX_free(client); }
  transport::TransportConfig config() {
    auto c = loopback_config({Proto::tls});
    c.tls.cert_file = cert.cert;
    c.tls.key_file = cert.key;
    return c;
  }
};

TEST_F(TlsFixture, RoundTripOnBothFamilies) {
  TestServer s(config());
  for (int family : {AF_INET, AF_INET6}) {
    StreamClient c(s.addr(Proto::tls, family), client);
    ASSERT_TRUE(c.connected()) << family;
    RequestSpec spec;
    spec.transport = "TLS";
    ASSERT_TRUE(c.send(request(spec)));
    const auto r = c.read_message();
    ASSERT_TRUE(r);
    EXPECT_EQ(status_of(*r), 200);
    ASSERT_TRUE(c.send("\r\n\r\n"));
    EXPECT_EQ(c.read_exact(2), std::optional<std::string>("\r\n"));
  }
  const auto got = s.handler.received();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].src.proto, Proto::tls);
  EXPECT_NE(got[0].src.conn_id, got[1].src.conn_id);
}

TEST_F(TlsFixture, LargeMessageSpanningRecords) {
  TestServer s(config());
  StreamClient c(s.addr(Proto::tls), client);
  ASSERT_TRUE(c.connected());
  RequestSpec spec;
  spec.transport = "TLS";
  spec.body = std::string(40000, 'b');
  ASSERT_TRUE(c.send(request(spec) + request(spec)));
  ASSERT_TRUE(c.read_message());
  ASSERT_TRUE(c.read_message());
  ASSERT_EQ(s.handler.wait_for(2), 2u);
  EXPECT_EQ(s.handler.received()[1].raw, request(spec));
}

TEST_F(TlsFixture, PlainTextOnTheTlsPortIsRefused) {
  TestServer s(config());
  StreamClient plain(s.addr(Proto::tls));
  ASSERT_TRUE(plain.send(request({})));
  EXPECT_TRUE(plain.closed_by_peer());
  EXPECT_EQ(s.rt->stats().tls_handshake_failed, 1u);
  EXPECT_EQ(s.handler.received().size(), 0u);
}

// A client that starts a handshake and trickles it (the start of a ClientHello, then a byte every
// 50 ms: never idle, never done) is closed at the message read timeout, as a trickled message is.
TEST_F(TlsFixture, HandshakeThatTricklesIsCutOffAtTheReadTimeout) {
  TestServer s(with_read_timeout(config(), 300));
  StreamClient slow(s.addr(Proto::tls));  // no TLS of its own: it writes the record bytes itself
  // A TLS 1.2 handshake record header announcing 512 bytes, and the ClientHello's first bytes.
  ASSERT_TRUE(slow.send(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11)));
  bool closed = false;
  for (int i = 0; i < 20 && !closed; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    closed = !slow.send(std::string(1, 'r'));
  }
  EXPECT_TRUE(slow.closed_by_peer(1000));
  EXPECT_EQ(s.rt->stats().connections_read_timeout, 1u);
  EXPECT_EQ(s.rt->stats().connections_idle_closed, 0u);
}

// After the handshake: the start of a TLS record (its header announcing 64 bytes, and 8 of them)
// sits in the server's TLS layer with no plaintext to frame. It is a message begun all the same,
// closed at the read timeout, long before the idle timeout; a whole message before it was served.
TEST_F(TlsFixture, RecordThatNeverCompletesIsCutOffAtTheReadTimeout) {
  TestServer s(with_read_timeout(config(), 300));
  StreamClient c(s.addr(Proto::tls), client);
  ASSERT_TRUE(c.connected());
  RequestSpec spec;
  spec.transport = "TLS";
  ASSERT_TRUE(c.send(request(spec)));
  ASSERT_TRUE(c.read_message());
  ASSERT_TRUE(c.send_raw(std::string("\x17\x03\x03\x00\x40", 5) + std::string(8, '\x5a')));
  EXPECT_TRUE(c.closed_by_peer(2000));
  EXPECT_EQ(s.rt->stats().connections_read_timeout, 1u);
  EXPECT_EQ(s.rt->stats().connections_idle_closed, 0u);
}

TEST_F(TlsFixture, MissingKeyFileFailsStartNamingIt) {
  auto c = config();
  c.tls.key_file = cert.dir + "/nope.pem";
  RecordingHandler h;
  transport::Runtime rt(c, h);
  try {
    rt.start();
    FAIL() << "start() accepted a missing key file";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("nope.pem"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace duet::test
