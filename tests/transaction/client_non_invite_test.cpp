// Client non-INVITE transactions (RFC 3261 §17.1.2).
#include "harness.hpp"

namespace duet::transaction::test {
namespace {

Req bye_req() {
  Req r;
  r.method = "BYE";
  r.branch = "z9hG4bK-bye1";
  r.cseq = 2;
  r.to_tag = "tt1";
  return r;
}

std::vector<std::uint64_t> since(const std::vector<std::uint64_t>& v, std::uint64_t t0) {
  std::vector<std::uint64_t> out;
  for (auto t : v) out.push_back(t - t0);
  return out;
}

TEST(ClientNonInvite, TimerECapsAtT2UntilTimerF) {
  Rig rig;
  const std::uint64_t t0 = rig.clock.t;
  const auto s = rig.table->start_client(udp_target(), request_text(bye_req()), 5);
  ASSERT_EQ(s.error, StartError::none);
  EXPECT_EQ(rig.table->state(s.id), State::trying);
  rig.advance(40000);
  const std::vector<std::uint64_t> expect = {0,     500,   1500,  3500,  7500, 11500,
                                             15500, 19500, 23500, 27500, 31500};
  EXPECT_EQ(since(rig.sender.times("BYE "), t0), expect);
  EXPECT_EQ(rig.tu.count('T', s.id), 1u);  // Timer F, once
  EXPECT_EQ(rig.tu.count('X', s.id), 1u);
  EXPECT_FALSE(rig.table->alive(s.id));
}

TEST(ClientNonInvite, ProceedingRetransmitsEveryT2) {
  Rig rig;
  const std::uint64_t t0 = rig.clock.t;
  const auto s = rig.table->start_client(udp_target(), request_text(bye_req()));
  rig.advance(100);
  EXPECT_EQ(rig.response(100, bye_req()).event, ClientEvent::to_tu);
  EXPECT_EQ(rig.table->state(s.id), State::proceeding);
  rig.advance(13000);
  // The pending Timer E still fires at T1, then every T2.
  const std::vector<std::uint64_t> expect = {0, 500, 4500, 8500, 12500};
  EXPECT_EQ(since(rig.sender.times("BYE "), t0), expect);
}

TEST(ClientNonInvite, FinalStopsRetransmissionsAndTimerKEnds) {
  Rig rig;
  const auto s = rig.table->start_client(udp_target(), request_text(bye_req()));
  const auto r = rig.response(200, bye_req());
  EXPECT_EQ(r.event, ClientEvent::to_tu);
  EXPECT_EQ(rig.table->state(s.id), State::completed);
  EXPECT_EQ(rig.response(200, bye_req()).event, ClientEvent::absorbed);
  EXPECT_EQ(rig.response(100, bye_req()).event, ClientEvent::absorbed);
  rig.advance(4990);
  EXPECT_TRUE(rig.table->alive(s.id));
  rig.advance(20);  // Timer K = T4
  EXPECT_FALSE(rig.table->alive(s.id));
  EXPECT_EQ(rig.sender.count("BYE "), 1u);
  EXPECT_EQ(rig.tu.count('T'), 0u);
  EXPECT_EQ(rig.response(200, bye_req()).event, ClientEvent::no_match);
}

TEST(ClientNonInvite, ReliableSkipsTimerEAndTimerK) {
  Rig rig;
  Req tcp = bye_req();
  tcp.proto = "TCP";
  const auto s = rig.table->start_client(tcp_target(), request_text(tcp));
  rig.advance(20000);
  EXPECT_EQ(rig.sender.count("BYE "), 1u);
  rig.response(481, tcp);
  rig.advance(rig.opts.tick_ms);
  EXPECT_FALSE(rig.table->alive(s.id));
}

TEST(ClientNonInvite, ReliableTimerFStillFires) {
  Rig rig;
  Req tcp = bye_req();
  tcp.proto = "TCP";
  const auto s = rig.table->start_client(tcp_target(), request_text(tcp));
  rig.advance(64 * 500 + 20);
  EXPECT_EQ(rig.tu.count('T', s.id), 1u);
}

TEST(ClientNonInvite, ConfigurableTimers) {
  Options o;
  o.t1_ms = 100;
  o.t2_ms = 400;
  o.t4_ms = 1000;
  Rig rig(o);
  const std::uint64_t t0 = rig.clock.t;
  const auto s = rig.table->start_client(udp_target(), request_text(bye_req()));
  rig.advance(2000);
  const std::vector<std::uint64_t> expect = {0, 100, 300, 700, 1100, 1500, 1900};
  EXPECT_EQ(since(rig.sender.times("BYE "), t0), expect);
  rig.advance(4500);  // Timer F = 64*T1 = 6.4 s
  EXPECT_EQ(rig.tu.count('T', s.id), 1u);
}

}  // namespace
}  // namespace duet::transaction::test
