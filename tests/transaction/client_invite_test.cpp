// Client INVITE transactions (RFC 3261 §17.1.1, RFC 6026 §7.2).
#include "harness.hpp"

namespace duet::transaction::test {
namespace {

Req invite_req() {
  Req r;
  r.branch = "z9hG4bK-out1";
  r.via_host = "proxy.example.net:5060";
  r.extra =
      "Route: <sip:p1.example.net;lr>\r\nRoute: <sip:p2.example.net;lr>\r\nContact: <sip:a@10.0.0.1>\r\n";
  return r;
}

TEST(ClientInvite, TimerADoublesUntilTimerB) {
  Rig rig;
  const std::uint64_t t0 = rig.clock.t;
  const auto s = rig.table->start_client(udp_target(), request_text(invite_req()), 42);
  ASSERT_EQ(s.error, StartError::none);
  EXPECT_EQ(rig.table->state(s.id), State::calling);
  rig.advance(40000);
  std::vector<std::uint64_t> got;
  for (auto at : rig.sender.times("INVITE ")) got.push_back(at - t0);
  const std::vector<std::uint64_t> expect = {0, 500, 1500, 3500, 7500, 15500, 31500};
  EXPECT_EQ(got, expect);
  EXPECT_EQ(rig.tu.count('T', s.id), 1u);  // Timer B, once
  ASSERT_EQ(rig.tu.events.size(), 2u);
  EXPECT_EQ(rig.tu.events[0].context, 42u);
  EXPECT_EQ(rig.tu.events[1].what, 'X');
  EXPECT_FALSE(rig.table->alive(s.id));
}

// A connection we opened failed before it was up: the transactions sent on it (and only those, and
// only while they wait for a final response) end with a transport error at once.
TEST(ClientInvite, FailedDialledConnectionEndsItsTransactions) {
  Rig rig;
  const std::uint64_t dialled = transport::kDialledConnBit | 9;
  Req a = invite_req(), b = invite_req(), other = invite_req();
  b.branch = "z9hG4bK-out2";
  other.branch = "z9hG4bK-out3";
  const auto ta = rig.table->start_client(tcp_target(dialled), request_text(a), 1);
  const auto tb = rig.table->start_client(tcp_target(dialled), request_text(b), 2);
  const auto to =
      rig.table->start_client(tcp_target(transport::kDialledConnBit | 10), request_text(other), 3);
  ASSERT_EQ(ta.error, StartError::none);
  ASSERT_EQ(tb.error, StartError::none);
  ASSERT_EQ(to.error, StartError::none);
  EXPECT_EQ(rig.table->connection_failed(dialled), 2u);
  EXPECT_EQ(rig.tu.count('E', ta.id), 1u);
  EXPECT_EQ(rig.tu.count('E', tb.id), 1u);
  EXPECT_FALSE(rig.table->alive(ta.id));
  EXPECT_TRUE(rig.table->alive(to.id));
  EXPECT_EQ(rig.table->connection_failed(dialled), 0u);  // nothing left on it
  EXPECT_EQ(rig.table->connection_failed(7), 0u);        // an accepted connection: not tracked
}

TEST(ClientInvite, ProvisionalStopsRetransmissionsAndTimerB) {
  Rig rig;
  const auto s = rig.table->start_client(udp_target(), request_text(invite_req()));
  rig.advance(600);  // one Timer A resend
  const auto r = rig.response(180, invite_req());
  EXPECT_EQ(r.event, ClientEvent::to_tu);
  EXPECT_EQ(r.id, s.id);
  EXPECT_EQ(rig.table->state(s.id), State::proceeding);
  rig.advance(60000);
  EXPECT_EQ(rig.sender.count("INVITE "), 2u);
  EXPECT_EQ(rig.tu.count('T'), 0u);
  EXPECT_TRUE(rig.table->alive(s.id));
  EXPECT_EQ(rig.response(183, invite_req()).event, ClientEvent::to_tu);
}

TEST(ClientInvite, NonSuccessFinalIsAckedFromTheOriginalRequest) {
  Rig rig;
  const auto s = rig.table->start_client(udp_target(), request_text(invite_req()));
  rig.response(100, invite_req(), "");
  const auto r = rig.response(486, invite_req(), "callee-tag");
  EXPECT_EQ(r.event, ClientEvent::to_tu);
  EXPECT_EQ(rig.table->state(s.id), State::completed);
  EXPECT_EQ(rig.table->last_status(s.id), 486);
  ASSERT_EQ(rig.sender.count("ACK "), 1u);
  sip::Message ack;
  parse_ok(rig.sender.sent.back().bytes, ack);
  EXPECT_EQ(ack.method_id(), sip::Method::ack);
  EXPECT_EQ(ack.request_uri(), "sip:bob@example.com");
  EXPECT_EQ(ack.count(sip::HeaderId::via), 1u);
  EXPECT_EQ(ack.top_via().branch, "z9hG4bK-out1");  // same branch: hop-by-hop ACK
  EXPECT_EQ(ack.top_via().host, "proxy.example.net");
  EXPECT_EQ(ack.to().tag, "callee-tag");  // To from the response
  EXPECT_EQ(ack.from().tag, "ft1");
  EXPECT_EQ(ack.call_id(), "call-1@10.0.0.1");
  EXPECT_EQ(ack.cseq_number(), 1u);
  EXPECT_EQ(ack.cseq_method(), "ACK");
  EXPECT_EQ(ack.count(sip::HeaderId::route), 2u);
  EXPECT_EQ(ack.header(sip::HeaderId::route), "<sip:p1.example.net;lr>");
  EXPECT_FALSE(ack.has(sip::HeaderId::contact));
  // A retransmitted final is absorbed and ACKed again; provisional responses are absorbed.
  EXPECT_EQ(rig.response(486, invite_req(), "callee-tag").event, ClientEvent::absorbed);
  EXPECT_EQ(rig.sender.count("ACK "), 2u);
  EXPECT_EQ(rig.response(180, invite_req()).event, ClientEvent::absorbed);
  EXPECT_EQ(rig.sender.count("ACK "), 2u);
  // Timer D.
  rig.advance(31990);
  EXPECT_TRUE(rig.table->alive(s.id));
  rig.advance(20);
  EXPECT_FALSE(rig.table->alive(s.id));
  EXPECT_EQ(rig.tu.count('T'), 0u);
  EXPECT_EQ(rig.sender.count("INVITE "), 1u);
}

TEST(ClientInvite, FinalInCallingStopsTimerA) {
  Rig rig;
  rig.table->start_client(udp_target(), request_text(invite_req()));
  rig.response(503, invite_req());
  rig.advance(5000);
  EXPECT_EQ(rig.sender.count("INVITE "), 1u);
  EXPECT_EQ(rig.sender.count("ACK "), 1u);
}

TEST(ClientInvite, SuccessGoesToTheTuAndAcceptedPassesRetransmissions) {
  Rig rig;
  const auto s = rig.table->start_client(udp_target(), request_text(invite_req()));
  EXPECT_EQ(rig.response(200, invite_req()).event, ClientEvent::to_tu);
  EXPECT_EQ(rig.table->state(s.id), State::accepted);
  EXPECT_EQ(rig.response(200, invite_req()).event, ClientEvent::to_tu);  // 2xx retransmission
  EXPECT_EQ(rig.response(200, invite_req(), "other-fork").event, ClientEvent::to_tu);
  EXPECT_EQ(rig.response(486, invite_req()).event, ClientEvent::absorbed);
  EXPECT_EQ(rig.response(180, invite_req()).event, ClientEvent::absorbed);
  EXPECT_EQ(rig.sender.count("ACK "), 0u);  // the 2xx ACK is end to end: the TU's
  rig.advance(5000);
  EXPECT_EQ(rig.sender.count("INVITE "), 1u);
  rig.advance(64 * 500);  // Timer M
  EXPECT_FALSE(rig.table->alive(s.id));
  EXPECT_EQ(rig.tu.count('T'), 0u);
}

TEST(ClientInvite, WithoutRfc6026SuccessEndsIt) {
  Options o;
  o.rfc6026_accepted = false;
  Rig rig(o);
  const auto s = rig.table->start_client(udp_target(), request_text(invite_req()), 9);
  const auto r = rig.response(200, invite_req());
  EXPECT_EQ(r.event, ClientEvent::to_tu);
  EXPECT_EQ(r.context, 9u);
  EXPECT_EQ(rig.response(200, invite_req()).event, ClientEvent::no_match);  // §17.1.1.2: the TU's now
  rig.advance(rig.opts.tick_ms);
  EXPECT_FALSE(rig.table->alive(s.id));
}

TEST(ClientInvite, ReliableSkipsTimerAAndTimerD) {
  Rig rig;
  Req tcp = invite_req();
  tcp.proto = "TCP";
  const auto s = rig.table->start_client(tcp_target(), request_text(tcp));
  rig.advance(10000);
  EXPECT_EQ(rig.sender.count("INVITE "), 1u);
  rig.response(404, tcp);
  EXPECT_EQ(rig.sender.count("ACK "), 1u);
  EXPECT_EQ(rig.table->state(s.id), State::completed);
  rig.advance(rig.opts.tick_ms);
  EXPECT_FALSE(rig.table->alive(s.id));
}

TEST(ClientInvite, ReliableTimerBStillFires) {
  Rig rig;
  Req tcp = invite_req();
  tcp.proto = "TCP";
  const auto s = rig.table->start_client(tcp_target(), request_text(tcp));
  rig.advance(64 * 500 + 20);
  EXPECT_EQ(rig.tu.count('T', s.id), 1u);
  EXPECT_EQ(rig.sender.count("INVITE "), 1u);
}

TEST(ClientInvite, ProceedingSafetyNetEndsAForgottenBranch) {
  Options o;
  o.unanswered_ms = 5000;
  Rig rig(o);
  const auto s = rig.table->start_client(udp_target(), request_text(invite_req()));
  rig.response(180, invite_req());
  rig.advance(4000);
  rig.response(183, invite_req());  // each provisional pushes it back
  rig.advance(4000);
  EXPECT_TRUE(rig.table->alive(s.id));
  rig.advance(1100);
  EXPECT_EQ(rig.tu.count('T', s.id), 1u);
  EXPECT_FALSE(rig.table->alive(s.id));
}

TEST(ClientInvite, BuildCancelCopiesTheInvite) {
  Rig rig;
  const auto s = rig.table->start_client(udp_target(), request_text(invite_req()));
  std::string cancel;
  ASSERT_TRUE(rig.table->build_cancel(s.id, cancel));
  sip::Message m;
  parse_ok(cancel, m);
  EXPECT_EQ(m.method_id(), sip::Method::cancel);
  EXPECT_EQ(m.request_uri(), "sip:bob@example.com");
  EXPECT_EQ(m.top_via().branch, "z9hG4bK-out1");
  EXPECT_EQ(m.cseq_number(), 1u);
  EXPECT_EQ(m.cseq_method(), "CANCEL");
  EXPECT_TRUE(m.to().tag.empty());
  EXPECT_EQ(m.count(sip::HeaderId::route), 2u);
  // The CANCEL is a non-INVITE client transaction of its own, on the same branch.
  const auto c = rig.table->start_client(udp_target(), cancel);
  ASSERT_EQ(c.error, StartError::none);
  EXPECT_EQ(rig.table->kind(c.id), Kind::client_non_invite);
  Req cr = invite_req();
  cr.cseq_method = "CANCEL";
  EXPECT_EQ(rig.response(200, cr).id, c.id);
  EXPECT_EQ(rig.response(487, invite_req()).id, s.id);
  std::string none;
  EXPECT_FALSE(rig.table->build_cancel(c.id, none));
}

TEST(ClientInvite, StartRefusesWhatCannotBeATransaction) {
  Rig rig;
  Req ack = invite_req();
  ack.method = "ACK";
  EXPECT_EQ(rig.table->start_client(udp_target(), request_text(ack)).error, StartError::bad_request);
  Req old = invite_req();
  old.branch = "1234";
  EXPECT_EQ(rig.table->start_client(udp_target(), request_text(old)).error, StartError::bad_request);
  EXPECT_EQ(rig.table->start_client(udp_target(), "garbage\r\n\r\n").error, StartError::bad_request);
  EXPECT_EQ(rig.table->start_client(udp_target(), request_text(invite_req())).error, StartError::none);
  // The same branch and method again would be indistinguishable.
  EXPECT_EQ(rig.table->start_client(udp_target(), request_text(invite_req())).error, StartError::bad_request);
  rig.sender.fail = true;
  Req other = invite_req();
  other.branch = "z9hG4bK-out2";
  EXPECT_EQ(rig.table->start_client(udp_target(), request_text(other)).error, StartError::send_failed);
  EXPECT_EQ(rig.table->size(), 1u);
  EXPECT_TRUE(rig.tu.events.empty());  // the failed start never existed for the TU
}

TEST(ClientInvite, SendFailureOnTimerAReportsATransportError) {
  Rig rig;
  const auto s = rig.table->start_client(udp_target(), request_text(invite_req()));
  rig.sender.fail = true;
  rig.advance(600);
  EXPECT_EQ(rig.tu.count('E', s.id), 1u);
  EXPECT_EQ(rig.tu.count('X', s.id), 1u);
  EXPECT_EQ(rig.tu.count('T'), 0u);
  EXPECT_FALSE(rig.table->alive(s.id));
}

}  // namespace
}  // namespace duet::transaction::test
