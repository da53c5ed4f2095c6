// REGISTER through the running service: the reply path (received/rport, UDP and TCP), the hop
// to the worker owning the AOR (the first to receive a REGISTER for it), and background expiry.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "duet/sip/header_id.hpp"
#include "duet/sip/values.hpp"
#include "duet/sip/via.hpp"
#include "service_fixture.hpp"

namespace duet::server::test {
namespace {

int contact_count(const sip::Message& m) {
  int n = 0;
  sip::for_each_value(m, sip::HeaderId::contact, [&](std::string_view) {
    ++n;
    return true;
  });
  return n;
}

config::Config workers(unsigned n) {
  config::Config c;
  c.workers = n;
  return c;
}

std::vector<std::string> user_names(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back("u" + std::to_string(i));
  return out;
}

TEST(ServiceRegister, UdpRegisterIsAnsweredToTheSourceWithRport) {
  Service s(workers(1));
  UdpClient c;
  // The Via claims port 9 (nobody listens there): rport makes the answer go to the real source.
  c.send(s.udp_port, register_text("alice", "127.0.0.1:9", 9, "UDP"));
  auto r = parse_response(c.recv());
  ASSERT_TRUE(r->ok) << r->text;
  EXPECT_EQ(r->msg.status_code(), 200);
  EXPECT_EQ(contact_count(r->msg), 1);
  EXPECT_FALSE(r->msg.header(sip::HeaderId::date).empty());
  sip::Via via;
  ASSERT_TRUE(sip::parse_via(r->msg.header(sip::HeaderId::via), via));
  EXPECT_EQ(via.rport, c.port);
  const auto st = s.service().stats();
  EXPECT_EQ(st.registers, 1u);
  EXPECT_EQ(st.bindings, 1u);
}

TEST(ServiceRegister, AorsStayWithTheWorkerThatFirstHeardThemAndOthersHopThere) {
  Service s(workers(2));
  ASSERT_EQ(s.runtime().workers(), 2u);
  UdpClient c;
  const auto users = user_names(8);
  for (const auto& u : users) {
    c.send(s.udp_port, register_text(u, "127.0.0.1:" + std::to_string(c.port), c.port, "UDP"));
    auto r = parse_response(c.recv());
    ASSERT_TRUE(r->ok) << u;
    EXPECT_EQ(r->msg.status_code(), 200) << u;
    EXPECT_EQ(contact_count(r->msg), 1) << u;
  }
  // Every datagram of one socket lands on one worker, which claimed every AOR: no hop.
  EXPECT_EQ(s.service().stats().registers_forwarded, 0u);
  // Queries from other sockets: one of them (the kernel hashes sockets to workers) lands on the
  // other worker, whose REGISTERs hop to the owner; every socket sees the same bindings.
  for (int attempt = 0; attempt < 64 && s.service().stats().registers_forwarded == 0; ++attempt) {
    UdpClient q;
    for (const auto& u : users) {
      q.send(s.udp_port, register_text(u, "", q.port, "UDP", 2, "3600", "none"));
      auto r = parse_response(q.recv());
      ASSERT_TRUE(r->ok) << u;
      EXPECT_EQ(r->msg.status_code(), 200);
      EXPECT_EQ(contact_count(r->msg), 1) << u;
    }
  }
  EXPECT_EQ(s.service().stats().registers_forwarded, users.size());
  EXPECT_EQ(s.service().stats().aors, users.size());
}

TEST(ServiceRegister, TcpRepliesComeBackOnTheSameConnectionAfterAHop) {
  Service s(workers(2));
  UdpClient first;  // claims the AORs for the worker its datagrams land on
  const auto users = user_names(2);
  for (const auto& u : users) {
    first.send(s.udp_port, register_text(u, "127.0.0.1:" + std::to_string(first.port), first.port, "UDP"));
    ASSERT_EQ(parse_response(first.recv())->msg.status_code(), 200) << u;
  }
  // Connections until one is accepted by the other worker: its REGISTERs hop to the owner and the
  // replies come back over that connection.
  for (int attempt = 0; attempt < 64 && s.service().stats().registers_forwarded == 0; ++attempt) {
    TcpClient c(s.tcp_port);
    ASSERT_TRUE(c.connected);
    for (const auto& u : users) {
      c.send(register_text(u, "127.0.0.1:" + std::to_string(c.port) + ";transport=tcp", c.port, "TCP"));
      auto r = parse_response(c.recv());
      ASSERT_TRUE(r->ok) << u << ": " << r->text;
      EXPECT_EQ(r->msg.status_code(), 200);
    }
  }
  EXPECT_EQ(s.service().stats().registers_forwarded, users.size());
}

TEST(ServiceRegister, BindingsExpireInTheBackground) {
  config::Config cfg = workers(1);
  cfg.registrar.min_expires = 1;
  Service s(cfg);
  UdpClient c;
  c.send(s.udp_port, register_text("alice", "127.0.0.1:5999", c.port, "UDP", 1, "1"));
  auto r = parse_response(c.recv());
  ASSERT_TRUE(r->ok);
  ASSERT_EQ(r->msg.status_code(), 200);
  EXPECT_EQ(s.service().stats().bindings, 1u);
  // The expiry timer ticks every second; allow a few.
  for (int i = 0; i < 40 && s.service().stats().bindings != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(s.service().stats().bindings, 0u);
}

TEST(ServiceRegister, RejectionsFromTheRegistrarReachThePhone) {
  config::Config cfg = workers(2);
  cfg.registrar.min_expires = 120;
  Service s(cfg);
  UdpClient c;
  c.send(s.udp_port, register_text("alice", "127.0.0.1:5999", c.port, "UDP", 1, "30"));
  auto r = parse_response(c.recv());
  ASSERT_TRUE(r->ok);
  EXPECT_EQ(r->msg.status_code(), 423);
  EXPECT_EQ(r->msg.header(sip::HeaderId::min_expires), "120");
}

// [registrar] max_bindings holds for the site, whichever sockets (and so workers) the REGISTERs
// come from: past it new AORs get 503 and the refusals are counted.
TEST(ServiceRegister, SiteStopsAtMaxBindingsAcrossWorkers) {
  config::Config cfg = workers(2);
  cfg.registrar.max_bindings = 4;
  Service s(cfg);
  int ok = 0, full = 0;
  for (int i = 0; i < 8; ++i) {
    UdpClient c;  // a socket of its own: the kernel spreads them over both workers
    const std::string u = "u" + std::to_string(i);
    c.send(s.udp_port, register_text(u, "127.0.0.1:" + std::to_string(c.port), c.port, "UDP"));
    auto r = parse_response(c.recv());
    ASSERT_TRUE(r->ok) << u;
    if (r->msg.status_code() == 200) ++ok;
    if (r->msg.status_code() == 503) ++full;
  }
  EXPECT_EQ(ok, 4);
  EXPECT_EQ(full, 4);
  for (int i = 0; i < 30 && s.service().stats().registers_refused_full < 4; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto st = s.service().stats();
  EXPECT_EQ(st.bindings, 4u);
  EXPECT_EQ(st.registers_refused_full, 4u);
}

}  // namespace
}  // namespace duet::server::test
