// Connections a worker opens (Worker::connect, or sendv to a stream Source without a connection):
// reuse per transport and address, writes held until the connection is up, failures reported to
// the handler, and the TLS server's certificate checked against the name it is dialled by.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <unistd.h>

#include "duet/transport/address.hpp"
#include "duet/transport/worker.hpp"
#include "support/clients.hpp"
#include "support/handler.hpp"
#include "support/messages.hpp"

namespace duet::test {
namespace {

using transport::Proto;
using transport::Source;

// Runs on worker 0 of rt: sends bytes to dst (conn_id 0: a connection is found or opened), after
// Worker::connect(dst, tls_name) when a name is given.
void send_from_worker(transport::Runtime& rt, Source dst, std::string bytes, std::string tls_name = {}) {
  struct SendTask : transport::Task {
    Source dst;
    std::string bytes, name;
  };
  auto* t = new SendTask;
  t->dst = dst;
  t->bytes = std::move(bytes);
  t->name = std::move(tls_name);
  t->run = [](transport::Worker& w, transport::Task* x) {
    auto* s = static_cast<SendTask*>(x);
    Source d = s->dst;
    if (!s->name.empty()) d.conn_id = w.connect(d, s->name);
    w.send(d, s->bytes);
    delete s;
  };
  rt.worker(0).post(0, t);
}

// To the first listener of `to` with proto p, from the client's listener of the same proto.
Source target(TestServer& from, TestServer& to, Proto p) {
  Source d;
  d.proto = p;
  d.peer = to.addr(p);
  d.local = from.addr(p);
  return d;
}

std::string request_over(Proto p, std::uint16_t via_port, const std::string& call_id) {
  RequestSpec spec;
  spec.method = "OPTIONS";
  spec.transport = p == Proto::tls ? "TLS" : "TCP";
  spec.via_port = via_port;
  spec.call_id = call_id;
  return request(spec);
}

TEST(Dial, TcpSendOpensOneConnectionAndReusesIt) {
  TestServer far(loopback_config({Proto::tcp}));
  TestServer near(loopback_config({Proto::tcp}));
  const auto via_port = transport::sockaddr_port(near.addr(Proto::tcp));
  send_from_worker(*near.rt, target(near, far, Proto::tcp), request_over(Proto::tcp, via_port, "d1@test"));
  send_from_worker(*near.rt, target(near, far, Proto::tcp), request_over(Proto::tcp, via_port, "d2@test"));
  ASSERT_EQ(far.handler.wait_for(2), 2u);
  const auto got = far.handler.received();
  EXPECT_EQ(got[0].src.conn_id, got[1].src.conn_id) << "the second request opened another connection";
  EXPECT_NE(got[1].raw.find("d2@test"), std::string::npos);  // in order
  // The far end's answers come back over the connection we opened.
  ASSERT_EQ(near.handler.wait_for(2), 2u);
  const auto answers = near.handler.received();
  EXPECT_FALSE(answers[0].request);
  EXPECT_EQ(answers[0].src.proto, Proto::tcp);
  EXPECT_EQ(answers[0].src.conn_id, answers[1].src.conn_id);
  EXPECT_EQ(near.rt->stats().connections_dialled, 1u);
  EXPECT_EQ(near.rt->stats().connect_failed, 0u);
}

TEST(Dial, RefusedConnectionIsReportedToTheHandler) {
  TestServer near(loopback_config({Proto::tcp}));
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);  // bound, not listening: connect is refused
  sockaddr_storage closed{};
  ASSERT_TRUE(transport::make_sockaddr("127.0.0.1", 0, closed));
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&closed), transport::sockaddr_len(closed)), 0);
  socklen_t len = sizeof closed;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&closed), &len);
  Source dst;
  dst.proto = Proto::tcp;
  dst.peer = closed;
  dst.local = near.addr(Proto::tcp);
  send_from_worker(*near.rt, dst, request_over(Proto::tcp, 5060, "refused@test"));
  ASSERT_EQ(near.handler.wait_for_failures(1), 1u);
  ::close(fd);
  const auto f = near.handler.failures()[0];
  EXPECT_TRUE(transport::sockaddr_equal(f.peer, closed));
  EXPECT_NE(f.conn_id, 0u);
  EXPECT_EQ(near.rt->stats().connect_failed, 1u);
}

// Requests name their next hops: the connections a worker opens are capped
// (TransportConfig::max_outbound_connections); beyond the cap nothing is opened and the send fails.
TEST(Dial, OutboundConnectionsAreCapped) {
  TestServer far1(loopback_config({Proto::tcp}));
  TestServer far2(loopback_config({Proto::tcp}));
  auto cfg = loopback_config({Proto::tcp});
  cfg.max_outbound_connections = 1;
  TestServer near(cfg);
  send_from_worker(*near.rt, target(near, far1, Proto::tcp), request_over(Proto::tcp, 5060, "cap1@test"));
  ASSERT_EQ(far1.handler.wait_for(1), 1u);
  send_from_worker(*near.rt, target(near, far2, Proto::tcp), request_over(Proto::tcp, 5060, "cap2@test"));
  // The same hop again still works (its connection is reused), the second hop never gets a connection.
  send_from_worker(*near.rt, target(near, far1, Proto::tcp), request_over(Proto::tcp, 5060, "cap3@test"));
  ASSERT_EQ(far1.handler.wait_for(2), 2u);
  EXPECT_EQ(far2.handler.received().size(), 0u);
  EXPECT_EQ(near.rt->stats().connections_dialled, 1u);
  EXPECT_GE(near.rt->stats().send_failed, 1u);
  // A configured hop (Worker::connect(..., reserved)) still gets a connection past the cap.
  struct ReservedTask : transport::Task {
    Source dst;
    std::string bytes;
  };
  auto* t = new ReservedTask;
  t->dst = target(near, far2, Proto::tcp);
  t->bytes = request_over(Proto::tcp, 5060, "cap4@test");
  t->run = [](transport::Worker& w, transport::Task* x) {
    auto* r = static_cast<ReservedTask*>(x);
    Source d = r->dst;
    d.conn_id = w.connect(d, {}, true);
    w.send(d, r->bytes);
    delete r;
  };
  near.rt->worker(0).post(0, t);
  EXPECT_EQ(far2.handler.wait_for(1), 1u);
}

struct DialTls : ::testing::Test {
  TempCert cert;  // CN=localhost, self-signed: the far end's certificate and the near end's CA
  transport::TransportConfig far_config() {
    auto c = loopback_config({Proto::tls});
    c.tls.cert_file = cert.cert;
    c.tls.key_file = cert.key;
    return c;
  }
  transport::TransportConfig near_config(bool verify) {
    auto c = far_config();
    c.tls.ca_file = cert.cert;
    c.tls.verify_server = verify;
    return c;
  }
};

TEST_F(DialTls, ServerNamedByItsCertificateIsReached) {
  TestServer far(far_config());
  TestServer near(near_config(true));
  send_from_worker(*near.rt, target(near, far, Proto::tls), request_over(Proto::tls, 5061, "tls1@test"),
                   "localhost");
  ASSERT_EQ(far.handler.wait_for(1), 1u);
  EXPECT_EQ(far.handler.received()[0].src.proto, Proto::tls);
  ASSERT_EQ(near.handler.wait_for(1), 1u);  // its 200, over the same connection
  EXPECT_EQ(status_of(near.handler.received()[0].raw), 200);
  EXPECT_EQ(near.rt->stats().connect_failed, 0u);
}

TEST_F(DialTls, CertificateThatDoesNotNameTheHopIsRefused) {
  TestServer far(far_config());
  TestServer near(near_config(true));
  // Dialled by address: the certificate names localhost, not 127.0.0.1 (RFC 5922 §7.2).
  send_from_worker(*near.rt, target(near, far, Proto::tls), request_over(Proto::tls, 5061, "tls2@test"));
  ASSERT_EQ(near.handler.wait_for_failures(1), 1u);
  EXPECT_EQ(near.rt->stats().tls_handshake_failed, 1u);
  EXPECT_EQ(far.handler.received().size(), 0u);
}

TEST_F(DialTls, UncheckedWhenVerificationIsOff) {
  TestServer far(far_config());
  TestServer near(near_config(false));
  send_from_worker(*near.rt, target(near, far, Proto::tls), request_over(Proto::tls, 5061, "tls3@test"));
  ASSERT_EQ(far.handler.wait_for(1), 1u);
  EXPECT_EQ(near.handler.failures().size(), 0u);
}

}  // namespace
}  // namespace duet::test
