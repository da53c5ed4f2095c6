// Server INVITE transactions (RFC 3261 §17.2.1, RFC 6026 §7.1).
#include "harness.hpp"

namespace duet::transaction::test {
namespace {

constexpr std::uint64_t kT1 = 500, k64T1 = 64 * kT1;

TEST(ServerInvite, NewInviteGets100AtOnceAndIsProceeding) {
  Rig rig;
  const auto r = rig.request(Req{});
  ASSERT_EQ(r.event, ServerEvent::new_request);
  EXPECT_EQ(rig.table->state(r.id), State::proceeding);
  EXPECT_EQ(rig.table->kind(r.id), Kind::server_invite);
  ASSERT_EQ(rig.sender.sent.size(), 1u);
  EXPECT_TRUE(rig.sender.sent[0].bytes.starts_with("SIP/2.0 100 Trying\r\n"));
  EXPECT_NE(rig.sender.sent[0].bytes.find("branch=z9hG4bK-abc"), std::string::npos);
  EXPECT_EQ(rig.table->last_status(r.id), 100);
}

TEST(ServerInvite, Delayed100IsSentOnlyIfTheTuIsSlow) {
  Options o;
  o.trying_delay_ms = 200;
  Rig rig(o);
  const auto fast = rig.request(Req{});
  EXPECT_EQ(rig.sender.count("SIP/2.0 100"), 0u);
  rig.advance(100);
  ASSERT_TRUE(rig.respond(fast.id, 180, Req{}));
  rig.advance(1000);
  EXPECT_EQ(rig.sender.count("SIP/2.0 100"), 0u);  // the 180 made it unnecessary

  Req slow;
  slow.branch = "z9hG4bK-slow";
  const auto s = rig.request(slow);
  rig.advance(190);
  EXPECT_EQ(rig.sender.count("SIP/2.0 100"), 0u);
  rig.advance(20);
  EXPECT_EQ(rig.sender.count("SIP/2.0 100"), 1u);
  rig.advance(5000);
  EXPECT_EQ(rig.sender.count("SIP/2.0 100"), 1u);
  EXPECT_EQ(rig.table->last_status(s.id), 100);
}

TEST(ServerInvite, RetransmissionBeforeTheDelayGetsThe100AtOnce) {
  Options o;
  o.trying_delay_ms = 200;
  Rig rig(o);
  rig.request(Req{});
  const auto again = rig.request(Req{});
  EXPECT_EQ(again.event, ServerEvent::retransmission);
  EXPECT_EQ(rig.sender.count("SIP/2.0 100"), 1u);
  rig.advance(1000);
  EXPECT_EQ(rig.sender.count("SIP/2.0 100"), 1u);  // the delayed one was cancelled
}

TEST(ServerInvite, RetransmittedInviteGetsTheLastProvisional) {
  Rig rig;
  const auto r = rig.request(Req{});
  ASSERT_TRUE(rig.respond(r.id, 180, Req{}));
  const auto again = rig.request(Req{});
  EXPECT_EQ(again.event, ServerEvent::retransmission);
  EXPECT_EQ(again.id, r.id);
  EXPECT_EQ(rig.sender.count("SIP/2.0 180"), 2u);
  EXPECT_EQ(rig.table->state(r.id), State::proceeding);
  EXPECT_EQ(rig.table->stats().retransmissions_absorbed, 1u);
}

TEST(ServerInvite, NonSuccessFinalRetransmitsOnTimerGUntilTimerH) {
  Rig rig;
  const auto r = rig.request(Req{});
  const std::uint64_t t0 = rig.clock.t;
  ASSERT_TRUE(rig.respond(r.id, 486, Req{}));
  EXPECT_EQ(rig.table->state(r.id), State::completed);
  rig.advance(k64T1 + 100);
  // Timer G: T1, 2T1, 4T1, then capped at T2 (4 s) until Timer H at 64*T1.
  const std::vector<std::uint64_t> expect = {500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500};
  std::vector<std::uint64_t> got;
  for (auto at : rig.sender.times("SIP/2.0 486")) got.push_back(at - t0);
  ASSERT_EQ(got.size(), expect.size() + 1);
  EXPECT_EQ(got[0], 0u);
  for (std::size_t i = 0; i < expect.size(); ++i) {
    EXPECT_GE(got[i + 1], expect[i]) << i;  // never early
    EXPECT_LE(got[i + 1], expect[i] + rig.opts.tick_ms) << i;
  }
  EXPECT_EQ(rig.tu.count('T', r.id), 1u);  // Timer H: no ACK
  EXPECT_EQ(rig.tu.count('X', r.id), 1u);
  EXPECT_FALSE(rig.table->alive(r.id));
  EXPECT_EQ(rig.table->size(), 0u);
}

TEST(ServerInvite, AckForNonSuccessIsAbsorbedAndTimerIEnds) {
  Rig rig;
  const auto r = rig.request(Req{});
  ASSERT_TRUE(rig.respond(r.id, 404, Req{}));
  rig.advance(600);  // one Timer G resend
  EXPECT_EQ(rig.sender.count("SIP/2.0 404"), 2u);
  Req ack;
  ack.method = "ACK";
  ack.to_tag = "tt1";
  const auto a = rig.request(ack);
  EXPECT_EQ(a.event, ServerEvent::ack_absorbed);
  EXPECT_EQ(a.id, r.id);
  EXPECT_EQ(rig.table->state(r.id), State::confirmed);
  // A retransmitted ACK and a late INVITE are absorbed silently in Confirmed.
  EXPECT_EQ(rig.request(ack).event, ServerEvent::ack_absorbed);
  EXPECT_EQ(rig.request(Req{}).event, ServerEvent::retransmission);
  rig.advance(4900);
  EXPECT_TRUE(rig.table->alive(r.id));
  rig.advance(200);  // Timer I = T4
  EXPECT_FALSE(rig.table->alive(r.id));
  EXPECT_EQ(rig.sender.count("SIP/2.0 404"), 2u);  // Timer G stopped with the ACK
  EXPECT_EQ(rig.tu.count('T'), 0u);
  EXPECT_EQ(rig.tu.count('X', r.id), 1u);
  EXPECT_EQ(rig.table->stats().acks_absorbed, 2u);
}

TEST(ServerInvite, InviteRetransmittedInCompletedGetsTheFinalAgain) {
  Rig rig;
  const auto r = rig.request(Req{});
  ASSERT_TRUE(rig.respond(r.id, 603, Req{}));
  EXPECT_EQ(rig.request(Req{}).event, ServerEvent::retransmission);
  EXPECT_EQ(rig.sender.count("SIP/2.0 603"), 2u);
}

TEST(ServerInvite, ReliableTransportSkipsTimerGAndTimerI) {
  Rig rig;
  Req tcp;
  tcp.proto = "TCP";
  const auto r = rig.request(tcp, tcp_target());
  ASSERT_TRUE(rig.respond(r.id, 486, tcp));
  rig.advance(10000);
  EXPECT_EQ(rig.sender.count("SIP/2.0 486"), 1u);
  EXPECT_EQ(rig.sender.sent.back().to.conn_id, 7u);  // on the request's connection
  Req ack = tcp;
  ack.method = "ACK";
  EXPECT_EQ(rig.request(ack, tcp_target()).event, ServerEvent::ack_absorbed);
  EXPECT_EQ(rig.table->state(r.id), State::confirmed);
  rig.advance(rig.opts.tick_ms);  // Timer I = 0: gone at the next tick
  EXPECT_FALSE(rig.table->alive(r.id));
}

TEST(ServerInvite, ReliableTimerHStillFires) {
  Rig rig;
  Req tcp;
  tcp.proto = "TCP";
  const auto r = rig.request(tcp, tcp_target());
  ASSERT_TRUE(rig.respond(r.id, 486, tcp));
  rig.advance(k64T1 - 50);
  EXPECT_TRUE(rig.table->alive(r.id));
  rig.advance(100);
  EXPECT_EQ(rig.tu.count('T', r.id), 1u);
  EXPECT_FALSE(rig.table->alive(r.id));
}

TEST(ServerInvite, SuccessGoesToAcceptedForTimerL) {
  Rig rig;
  const auto r = rig.request(Req{});
  ASSERT_TRUE(rig.respond(r.id, 200, Req{}));
  EXPECT_EQ(rig.table->state(r.id), State::accepted);
  // INVITE retransmissions are absorbed without an answer: resending the 2xx is the TU's job.
  const std::size_t sent = rig.sender.sent.size();
  EXPECT_EQ(rig.request(Req{}).event, ServerEvent::retransmission);
  EXPECT_EQ(rig.sender.sent.size(), sent);
  // The TU's 2xx retransmissions pass; other responses do not.
  EXPECT_TRUE(rig.respond(r.id, 200, Req{}));
  EXPECT_FALSE(rig.respond(r.id, 486, Req{}));
  EXPECT_FALSE(rig.respond(r.id, 180, Req{}));
  EXPECT_EQ(rig.sender.count("SIP/2.0 200"), 2u);
  // An ACK that matches (same branch) is the 2xx's: for the TU.
  Req ack;
  ack.method = "ACK";
  ack.to_tag = "tt1";
  const auto a = rig.request(ack);
  EXPECT_EQ(a.event, ServerEvent::ack_to_tu);
  EXPECT_EQ(a.id, r.id);
  rig.advance(k64T1 - 50);
  EXPECT_TRUE(rig.table->alive(r.id));
  rig.advance(100);
  EXPECT_FALSE(rig.table->alive(r.id));
  EXPECT_EQ(rig.tu.count('T'), 0u);  // Timer L is not a timeout
  EXPECT_EQ(rig.tu.count('X', r.id), 1u);
}

TEST(ServerInvite, WithoutRfc6026SuccessEndsTheTransaction) {
  Options o;
  o.rfc6026_accepted = false;
  Rig rig(o);
  const auto r = rig.request(Req{});
  ASSERT_TRUE(rig.respond(r.id, 200, Req{}));
  EXPECT_EQ(rig.table->state(r.id), State::terminated);
  EXPECT_TRUE(rig.table->alive(r.id));  // still readable until the next tick
  // A retransmitted INVITE no longer matches: it is new for the TU, as RFC 3261 has it.
  EXPECT_EQ(rig.request(Req{}).event, ServerEvent::new_request);
  rig.advance(rig.opts.tick_ms);
  EXPECT_FALSE(rig.table->alive(r.id));
}

TEST(ServerInvite, NoResponseAfterFinalAndNoneBeforeValidation) {
  Rig rig;
  const auto r = rig.request(Req{});
  EXPECT_FALSE(rig.table->respond(r.id, 99, "x"));
  EXPECT_FALSE(rig.table->respond(r.id, 700, "x"));
  EXPECT_FALSE(rig.table->respond(TxnId{12345, 1}, 200, "x"));
  ASSERT_TRUE(rig.respond(r.id, 500, Req{}));
  EXPECT_FALSE(rig.respond(r.id, 200, Req{}));
  EXPECT_FALSE(rig.respond(r.id, 180, Req{}));
}

// An INVITE server transaction just received, whose safety net (Options::unanswered_ms) is 10 s.
class SafetyNet : public ::testing::Test {
 protected:
  static Options options() {
    Options o;
    o.unanswered_ms = 10000;
    return o;
  }
  Rig rig{options()};
  const ServerResult r = rig.request(Req{});
};

TEST_F(SafetyNet, UnansweredInviteEndsAfterTheSafetyNet) {
  rig.advance(9990);
  EXPECT_TRUE(rig.table->alive(r.id));
  rig.advance(20);
  EXPECT_EQ(rig.tu.count('T', r.id), 1u);
  EXPECT_FALSE(rig.table->alive(r.id));
}

TEST_F(SafetyNet, ARingingResponsePushesTheSafetyNetBack) {
  rig.advance(8000);
  ASSERT_TRUE(rig.respond(r.id, 180, Req{}));  // still ringing: 10 s more from here
  rig.advance(8000);
  EXPECT_TRUE(rig.table->alive(r.id));
  EXPECT_EQ(rig.tu.count('T', r.id), 0u);
  rig.advance(2100);
  EXPECT_EQ(rig.tu.count('T', r.id), 1u);
}

TEST_F(SafetyNet, TuMayAnswerFromTheSafetyNetCallback) {
  rig.tu.on_timeout_hook = [&](TxnId id) {
    EXPECT_TRUE(rig.table->respond_with(id, 408, "Request Timeout", "x1"));
  };
  rig.advance(10010);
  EXPECT_TRUE(rig.table->alive(r.id));
  EXPECT_EQ(rig.table->state(r.id), State::completed);
  EXPECT_EQ(rig.sender.count("SIP/2.0 408"), 1u);
}

TEST(ServerInvite, SendFailureOnTimerGReportsATransportError) {
  Rig rig;
  const auto r = rig.request(Req{});
  ASSERT_TRUE(rig.respond(r.id, 486, Req{}));
  rig.sender.fail = true;
  rig.advance(600);
  EXPECT_EQ(rig.tu.count('E', r.id), 1u);
  EXPECT_EQ(rig.tu.count('X', r.id), 1u);
  EXPECT_FALSE(rig.table->alive(r.id));
  EXPECT_EQ(rig.table->timers_pending(), 0u);
}

TEST(ServerInvite, SendFailureOnRespondEndsTheTransaction) {
  Rig rig;
  const auto r = rig.request(Req{});
  rig.sender.fail = true;
  EXPECT_FALSE(rig.respond(r.id, 486, Req{}));
  EXPECT_EQ(rig.table->state(r.id), State::terminated);
  rig.advance(rig.opts.tick_ms);
  EXPECT_FALSE(rig.table->alive(r.id));
  EXPECT_EQ(rig.tu.count('X', r.id), 1u);
}

}  // namespace
}  // namespace duet::transaction::test
