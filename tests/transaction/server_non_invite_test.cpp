// Server non-INVITE transactions (RFC 3261 §17.2.2).
#include "harness.hpp"

namespace duet::transaction::test {
namespace {

Req options_req() {
  Req r;
  r.method = "OPTIONS";
  r.branch = "z9hG4bK-opt";
  return r;
}

TEST(ServerNonInvite, TryingSendsNothingAndAbsorbsRetransmissions) {
  Rig rig;
  const auto r = rig.request(options_req());
  ASSERT_EQ(r.event, ServerEvent::new_request);
  EXPECT_EQ(rig.table->kind(r.id), Kind::server_non_invite);
  EXPECT_EQ(rig.table->state(r.id), State::trying);
  EXPECT_TRUE(rig.sender.sent.empty());  // no automatic 100 for non-INVITE
  const auto again = rig.request(options_req());
  EXPECT_EQ(again.event, ServerEvent::retransmission);
  EXPECT_EQ(again.id, r.id);
  EXPECT_TRUE(rig.sender.sent.empty());
}

TEST(ServerNonInvite, ProvisionalMovesToProceedingAndIsResent) {
  Rig rig;
  const auto r = rig.request(options_req());
  ASSERT_TRUE(rig.respond(r.id, 100, options_req(), ""));
  EXPECT_EQ(rig.table->state(r.id), State::proceeding);
  rig.request(options_req());
  EXPECT_EQ(rig.sender.count("SIP/2.0 100"), 2u);
}

TEST(ServerNonInvite, FinalIsResentInCompletedUntilTimerJ) {
  Rig rig;
  const auto r = rig.request(options_req());
  ASSERT_TRUE(rig.respond(r.id, 200, options_req()));
  EXPECT_EQ(rig.table->state(r.id), State::completed);
  rig.advance(10000);
  EXPECT_EQ(rig.sender.count("SIP/2.0 200"), 1u);  // no timer retransmits a non-INVITE final
  EXPECT_EQ(rig.request(options_req()).event, ServerEvent::retransmission);
  EXPECT_EQ(rig.sender.count("SIP/2.0 200"), 2u);
  EXPECT_FALSE(rig.respond(r.id, 500, options_req()));
  rig.advance(64 * 500 - 10000 - 50);
  EXPECT_TRUE(rig.table->alive(r.id));
  rig.advance(100);  // Timer J = 64*T1
  EXPECT_FALSE(rig.table->alive(r.id));
  EXPECT_EQ(rig.tu.count('T'), 0u);
  EXPECT_EQ(rig.tu.count('X', r.id), 1u);
  // Once gone, the same request is a new transaction.
  EXPECT_EQ(rig.request(options_req()).event, ServerEvent::new_request);
}

TEST(ServerNonInvite, ReliableTimerJIsZero) {
  Rig rig;
  Req tcp = options_req();
  tcp.proto = "TCP";
  const auto r = rig.request(tcp, tcp_target());
  ASSERT_TRUE(rig.respond(r.id, 200, tcp));
  EXPECT_EQ(rig.table->state(r.id), State::completed);
  rig.advance(rig.opts.tick_ms);
  EXPECT_FALSE(rig.table->alive(r.id));
}

TEST(ServerNonInvite, RespondWithBuildsFromTheStoredRequest) {
  Rig rig;
  const auto r = rig.request(options_req(), udp_target(), sip::ResponseViaFix{"192.0.2.7", 0});
  ASSERT_TRUE(rig.table->respond_with(r.id, 404, "Not Found", "tag404"));
  ASSERT_EQ(rig.sender.sent.size(), 1u);
  sip::Message m;
  parse_ok(rig.sender.sent[0].bytes, m);
  EXPECT_EQ(m.status_code(), 404);
  EXPECT_EQ(m.to().tag, "tag404");
  EXPECT_EQ(m.top_via().branch, "z9hG4bK-opt");
  EXPECT_EQ(m.top_via().received, "192.0.2.7");
  EXPECT_EQ(m.cseq_method(), "OPTIONS");
  EXPECT_EQ(rig.table->last_status(r.id), 404);
}

TEST(ServerNonInvite, UnansweredRequestEndsAfterTheSafetyNet) {
  Options o;
  o.unanswered_ms = 2000;
  Rig rig(o);
  const auto r = rig.request(options_req());
  rig.advance(2010);
  EXPECT_EQ(rig.tu.count('T', r.id), 1u);
  EXPECT_FALSE(rig.table->alive(r.id));
}

TEST(ServerNonInvite, TimerJEndsMatchingOnTimeAndFreesTheTransactionOnTheEndGrain) {
  // Options::end_grain_ms (1 s by default): the transactions of one second are freed together, at
  // one wake-up; but what a peer sees is Timer J's own value: from 64*T1 after the final response
  // a request with the same key is a new transaction, not a retransmission.
  Options o;
  ASSERT_EQ(o.end_grain_ms, 1000u);
  Rig rig(o);
  rig.advance(1230);
  const auto r = rig.request(options_req());
  ASSERT_TRUE(rig.respond(r.id, 200, options_req()));  // at 1230: Timer J at 33230, freed at 34000
  rig.advance(33220 - 1230);
  EXPECT_EQ(rig.request(options_req()).event, ServerEvent::retransmission);
  rig.advance(10);                      // 33230: Timer J has run out
  EXPECT_TRUE(rig.table->alive(r.id));  // its memory is still held...
  const auto again = rig.request(options_req());
  EXPECT_EQ(again.event, ServerEvent::new_request);  // ...but it matches nothing
  EXPECT_NE(again.id, r.id);
  rig.advance(10);
  EXPECT_FALSE(rig.table->alive(r.id));  // ended by that match, freed at the next tick
}

TEST(ServerNonInvite, WithoutRetransmissionsTheTransactionIsFreedAtTheNextWholeGrain) {
  Options o;
  Rig rig(o);
  rig.advance(1230);
  const auto r = rig.request(options_req());
  ASSERT_TRUE(rig.respond(r.id, 200, options_req()));
  rig.advance(34000 - 1230 - 10);
  EXPECT_TRUE(rig.table->alive(r.id));
  rig.advance(10);  // 34000: the next whole second after 33230
  EXPECT_FALSE(rig.table->alive(r.id));
  EXPECT_EQ(rig.tu.count('X', r.id), 1u);
}

TEST(ServerNonInvite, OnAReliableTransportTheEndIsNotRounded) {
  Options o;
  Rig rig(o);
  rig.advance(1230);
  const auto r = rig.request(options_req(), tcp_target());
  ASSERT_TRUE(rig.respond(r.id, 200, options_req()));
  rig.advance(10);  // Timer J is zero on TCP: the next tick
  EXPECT_FALSE(rig.table->alive(r.id));
}

}  // namespace
}  // namespace duet::transaction::test
