// REGISTER through the running service: the reply path (received/rport, UDP and TCP), the hop
// to the worker owning the AOR, and background expiry.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "duet/registrar/aor_key.hpp"
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

// Users whose AORs are owned by each of `shards` shards, so a test surely crosses workers.
std::vector<std::string> users_covering(std::uint16_t shards, int per_shard) {
  std::vector<std::string> out;
  std::vector<int> have(shards, 0);
  for (int i = 0; out.size() < static_cast<std::size_t>(shards * per_shard) && i < 100000; ++i) {
    const std::string u = "u" + std::to_string(i);
    const auto s = registrar::shard_of(registrar::aor_hash(u, "example.com"), shards);
    if (have[s] < per_shard) {
      ++have[s];
      out.push_back(u);
    }
  }
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

TEST(ServiceRegister, RegistersHopToTheOwningWorkerAndStayConsistent) {
  Service s(workers(2));
  ASSERT_EQ(s.runtime().workers(), 2u);
  UdpClient c;
  const auto users = users_covering(2, 4);
  ASSERT_EQ(users.size(), 8u);
  for (const auto& u : users) {
    c.send(s.udp_port, register_text(u, "127.0.0.1:" + std::to_string(c.port), c.port, "UDP"));
    auto r = parse_response(c.recv());
    ASSERT_TRUE(r->ok) << u;
    EXPECT_EQ(r->msg.status_code(), 200) << u;
    EXPECT_EQ(contact_count(r->msg), 1) << u;
  }
  // Every datagram of one client socket lands on one worker: half the AORs must have hopped.
  EXPECT_GE(s.service().stats().registers_forwarded, 4u);
  // A query from another socket (maybe another worker) sees the same bindings.
  UdpClient q;
  for (const auto& u : users) {
    q.send(s.udp_port, register_text(u, "", q.port, "UDP", 2, "3600", "none"));
    auto r = parse_response(q.recv());
    ASSERT_TRUE(r->ok) << u;
    EXPECT_EQ(r->msg.status_code(), 200);
    EXPECT_EQ(contact_count(r->msg), 1) << u;
  }
  EXPECT_EQ(s.service().stats().aors, users.size());
}

TEST(ServiceRegister, TcpRepliesComeBackOnTheSameConnectionAfterAHop) {
  Service s(workers(2));
  TcpClient c(s.tcp_port);
  ASSERT_TRUE(c.connected);
  const auto users = users_covering(2, 2);
  for (const auto& u : users) {
    c.send(register_text(u, "127.0.0.1:" + std::to_string(c.port) + ";transport=tcp", c.port, "TCP"));
    auto r = parse_response(c.recv());
    ASSERT_TRUE(r->ok) << u << ": " << r->text;
    EXPECT_EQ(r->msg.status_code(), 200);
  }
  EXPECT_GE(s.service().stats().registers_forwarded, 1u);
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

}  // namespace
}  // namespace duet::server::test
