// Bounded memory: the table cap and its 503, message size caps, reclaiming every transaction after
// its timers, stale handles, and timers that fire exactly once.
#include "harness.hpp"

namespace duet::transaction::test {
namespace {

Req numbered(const char* method, int i) {
  Req r;
  r.method = method;
  r.branch = "z9hG4bK-n" + std::to_string(i);
  return r;
}

TEST(Limits, FullTableAnswers503StatelesslyUntilRoomIsMade) {
  Options o;
  o.max_transactions = 2;
  Rig rig(o);
  Req a = numbered("OPTIONS", 1);
  const auto first = rig.request(a);
  rig.table->start_client(udp_target(9999), request_text(numbered("OPTIONS", 2)));
  EXPECT_EQ(rig.table->size(), 2u);
  const auto refused = rig.request(numbered("INVITE", 3), udp_target(5071));
  EXPECT_EQ(refused.event, ServerEvent::refused);
  EXPECT_EQ(refused.status, 503);
  EXPECT_FALSE(refused.id.valid());
  ASSERT_FALSE(rig.sender.sent.empty());
  const auto& out = rig.sender.sent.back();
  sip::Message m;
  parse_ok(out.bytes, m);
  EXPECT_EQ(m.status_code(), 503);
  EXPECT_EQ(reinterpret_cast<const sockaddr_in&>(out.to.peer).sin_port, htons(5071));
  EXPECT_NE(out.bytes.find("Retry-After: 5\r\n"), std::string::npos);
  EXPECT_FALSE(m.to().tag.empty());
  EXPECT_EQ(rig.sender.count("SIP/2.0 100"), 0u);  // no 100 before a refusal
  EXPECT_EQ(rig.table->start_client(udp_target(), request_text(numbered("BYE", 4))).error,
            StartError::table_full);
  // Retransmissions of live transactions still match, and ACKs are never refused.
  EXPECT_EQ(rig.request(a).event, ServerEvent::retransmission);
  EXPECT_EQ(rig.request(numbered("ACK", 5)).event, ServerEvent::ack_to_tu);
  EXPECT_EQ(rig.table->stats().refused_full, 1u);
  // Room comes back once a transaction has ended.
  ASSERT_TRUE(rig.respond(first.id, 200, a));
  rig.advance(64 * 500 + 20);
  EXPECT_EQ(rig.request(numbered("INVITE", 6)).event, ServerEvent::new_request);
}

// Two workers' tables sharing the site's count: together they hold max_transactions, either may
// hold them all, and what one frees (an ended transaction, or the table itself) the other can use.
TEST(Limits, TablesSharingTheSiteCountAreFullTogether) {
  std::atomic<std::size_t> site{0};
  Options o = exact_timers();
  o.max_transactions = 3;
  o.site_live = &site;
  Rig a(o), b(o);
  Req first = numbered("OPTIONS", 1);
  const auto r1 = a.request(first);
  ASSERT_EQ(r1.event, ServerEvent::new_request);
  ASSERT_EQ(a.request(numbered("OPTIONS", 2)).event, ServerEvent::new_request);
  ASSERT_EQ(b.request(numbered("OPTIONS", 3)).event, ServerEvent::new_request);
  EXPECT_EQ(site.load(), 3u);
  const auto refused = b.request(numbered("INVITE", 4));
  EXPECT_EQ(refused.event, ServerEvent::refused);
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(b.table->start_client(udp_target(), request_text(numbered("BYE", 5))).error,
            StartError::table_full);
  EXPECT_EQ(b.table->size(), 1u);  // b's own table has room: the site does not
  // An ended transaction at a makes room at b.
  ASSERT_TRUE(a.respond(r1.id, 200, first));
  a.advance(64 * 500 + 20);
  EXPECT_EQ(site.load(), 2u);
  EXPECT_EQ(b.request(numbered("INVITE", 6)).event, ServerEvent::new_request);
  EXPECT_EQ(site.load(), 3u);
  // A table that goes away gives its share back.
  a.table.reset();
  EXPECT_EQ(site.load(), 2u);
}

TEST(Limits, OversizedRequestGets513AndOversizedResponseIsRefused) {
  Options o;
  o.max_message_bytes = 600;
  Rig rig(o);
  Req big = numbered("INVITE", 1);
  big.extra = "X-Pad: " + std::string(600, 'a') + "\r\n";
  const auto r = rig.request(big);
  EXPECT_EQ(r.event, ServerEvent::refused);
  EXPECT_EQ(r.status, 513);
  EXPECT_EQ(rig.table->size(), 0u);
  EXPECT_EQ(rig.table->start_client(udp_target(), request_text(big)).error, StartError::too_large);
  const auto ok = rig.request(numbered("INVITE", 2));
  ASSERT_EQ(ok.event, ServerEvent::new_request);
  EXPECT_FALSE(rig.table->respond(ok.id, 200, std::string(601, 'x')));
  EXPECT_EQ(rig.table->state(ok.id), State::proceeding);
}

TEST(Limits, EveryTransactionIsReclaimedAfterItsTimers) {
  Rig rig;
  constexpr int kEach = 500;
  std::vector<TxnId> ids;
  for (int i = 0; i < kEach; ++i) {
    // Server INVITE answered 486 (never ACKed), server INVITE answered 200, server non-INVITE,
    // client INVITE answered 404, client non-INVITE timing out, server INVITE left unanswered.
    Req a = numbered("INVITE", i);
    const auto s1 = rig.request(a);
    rig.respond(s1.id, 486, a);
    Req b = numbered("INVITE", i + 100000);
    const auto s2 = rig.request(b);
    rig.respond(s2.id, 200, b);
    Req c = numbered("MESSAGE", i);
    const auto s3 = rig.request(c);
    rig.respond(s3.id, 202, c);
    Req d = numbered("INVITE", i + 200000);
    d.via_host = "duet.local:5060";
    const auto c1 = rig.table->start_client(udp_target(), request_text(d));
    rig.response(404, d);
    Req e = numbered("OPTIONS", i + 300000);
    e.via_host = "duet.local:5060";
    const auto c2 = rig.table->start_client(udp_target(), request_text(e));
    const auto s4 = rig.request(numbered("INVITE", i + 400000));
    for (TxnId id : {s1.id, s2.id, s3.id, c1.id, c2.id, s4.id}) ids.push_back(id);
  }
  EXPECT_EQ(rig.table->size(), 6u * kEach);
  EXPECT_GT(rig.table->bytes_held(), 6u * kEach * 100);
  rig.advance(rig.opts.unanswered_ms + 1000);
  EXPECT_EQ(rig.table->size(), 0u);
  EXPECT_EQ(rig.table->bytes_held(), 0u);
  EXPECT_EQ(rig.table->timers_pending(), 0u);
  for (TxnId id : ids) {
    EXPECT_FALSE(rig.table->alive(id));
    ASSERT_EQ(rig.tu.count('X', id), 1u);  // each ended exactly once
  }
  // Timeouts: Timer H for the 486s, Timer F for the OPTIONS, the safety net for the unanswered.
  EXPECT_EQ(rig.tu.count('T'), 3u * kEach);
  EXPECT_EQ(rig.table->stats().terminated, 6u * kEach);
}

// A final response leaves a transaction only what matching needs (and the response it may resend):
// the request's copy goes, retransmissions still match it to the end of its wait. Each request
// carries 2 kB of padding, so what stays is told from what went by bytes_held().
Req padded(const char* method, int i, std::string branch_prefix = "z9hG4bK-p") {
  Req r = numbered(method, i);
  r.branch = branch_prefix.empty() ? "" : branch_prefix + std::to_string(i);
  r.extra = "X-Pad: " + std::string(2000, 'p') + "\r\n";
  return r;
}

TEST(Limits, AFinalResponseLeavesTheServerTransactionItsKeyAndItStillMatches) {
  Rig rig;
  // Non-INVITE: the final stays (it answers each retransmission), the request goes.
  Req msg = padded("MESSAGE", 1);
  const auto s = rig.request(msg);
  EXPECT_EQ(rig.table->request(s.id), request_text(msg));
  const std::size_t with_request = rig.table->bytes_held();
  EXPECT_GT(with_request, 2000u);
  ASSERT_TRUE(rig.respond(s.id, 202, msg));
  EXPECT_TRUE(rig.table->request(s.id).empty());
  EXPECT_LT(rig.table->bytes_held(), response_text(202, msg).size() + 200);
  EXPECT_EQ(rig.request(msg).event, ServerEvent::retransmission);
  EXPECT_EQ(rig.sender.count("SIP/2.0 202"), 2u);
  EXPECT_FALSE(rig.table->respond_with(s.id, 500, "Too Late"));

  // INVITE answered 2xx (Accepted): nothing is ever resent from it, so nothing but the key stays.
  Req ok = padded("INVITE", 2);
  const std::size_t held_before = rig.table->bytes_held();
  const auto s2 = rig.request(ok);
  const std::size_t before = rig.table->bytes_held();
  ASSERT_TRUE(rig.respond(s2.id, 200, ok));
  EXPECT_LT(rig.table->bytes_held(), before - 2000);
  EXPECT_LT(rig.table->bytes_held(), held_before + 150);  // the key only: the 2xx went too
  const std::size_t sent = rig.sender.sent.size();
  EXPECT_EQ(rig.request(ok).event, ServerEvent::retransmission);
  EXPECT_EQ(rig.sender.sent.size(), sent);                              // absorbed silently (RFC 6026 §7.1)
  EXPECT_TRUE(rig.table->respond(s2.id, 200, response_text(200, ok)));  // the TU's 2xx resend

  // INVITE answered 486: resent on Timer G and for each retransmission, until the ACK.
  Req busy = padded("INVITE", 3);
  const auto s3 = rig.request(busy);
  ASSERT_TRUE(rig.respond(s3.id, 486, busy));
  EXPECT_TRUE(rig.table->request(s3.id).empty());
  rig.advance(rig.opts.t1_ms);
  EXPECT_EQ(rig.sender.count("SIP/2.0 486"), 2u);
  EXPECT_EQ(rig.request(busy).event, ServerEvent::retransmission);
  EXPECT_EQ(rig.sender.count("SIP/2.0 486"), 3u);
  Req ack = busy;
  ack.method = "ACK";
  ack.to_tag = "tt1";
  EXPECT_EQ(rig.request(ack).event, ServerEvent::ack_absorbed);
  EXPECT_EQ(rig.table->state(s3.id), State::confirmed);
  Req cancel = busy;
  cancel.method = "CANCEL";
  EXPECT_EQ(rig.request(cancel).cancel_target, s3.id);  // still found by its key
}

TEST(Limits, AnRfc2543KeyIsKeptWholeWithItsToTag) {
  // No branch cookie: the key is the Request-URI, From tag, Call-ID, CSeq and top Via, all of
  // which must outlive the request they were read from; the ACK must carry the To tag we sent.
  Rig rig;
  Req old = padded("INVITE", 4, "");
  const auto s = rig.request(old);
  ASSERT_TRUE(rig.respond(s.id, 603, old, "our-tag"));
  EXPECT_TRUE(rig.table->request(s.id).empty());
  EXPECT_EQ(rig.request(old).event, ServerEvent::retransmission);
  EXPECT_EQ(rig.sender.count("SIP/2.0 603"), 2u);
  Req other = old;
  other.call_id = "call-2@10.0.0.1";
  EXPECT_EQ(rig.request(other).event, ServerEvent::new_request);
  Req ack = old;
  ack.method = "ACK";
  ack.to_tag = "not-ours";
  EXPECT_EQ(rig.request(ack).event, ServerEvent::ack_to_tu);
  ack.to_tag = "our-tag";
  EXPECT_EQ(rig.request(ack).event, ServerEvent::ack_absorbed);
}

TEST(Limits, AFinalResponseLeavesTheClientTransactionItsKeyAndItStillMatches) {
  Rig rig;
  // INVITE answered 486: the ACK (built from the request before it goes) answers each
  // retransmitted final.
  Req busy = padded("INVITE", 5);
  busy.via_host = "duet.local:5060";
  const auto c1 = rig.table->start_client(udp_target(), request_text(busy));
  ASSERT_TRUE(c1.id.valid());
  EXPECT_EQ(rig.response(486, busy).event, ClientEvent::to_tu);
  EXPECT_TRUE(rig.table->request(c1.id).empty());
  EXPECT_EQ(rig.response(486, busy).event, ClientEvent::absorbed);
  EXPECT_EQ(rig.sender.count("ACK "), 2u);
  std::string cancel;
  EXPECT_FALSE(rig.table->build_cancel(c1.id, cancel));  // nothing to cancel after a final

  // INVITE answered 2xx: its retransmissions still reach the TU (Timer M).
  Req ok = padded("INVITE", 6);
  ok.via_host = "duet.local:5060";
  const auto c2 = rig.table->start_client(udp_target(), request_text(ok));
  const std::size_t before = rig.table->bytes_held();
  EXPECT_EQ(rig.response(200, ok).event, ClientEvent::to_tu);
  EXPECT_LT(rig.table->bytes_held(), before - 2000);
  const auto again = rig.response(200, ok);
  EXPECT_EQ(again.event, ClientEvent::to_tu);
  EXPECT_EQ(again.id, c2.id);
  Req other = ok;
  other.branch += "x";
  EXPECT_EQ(rig.response(200, other).event, ClientEvent::no_match);

  // Non-INVITE: Timer K absorbs retransmitted finals.
  Req opt = padded("OPTIONS", 7);
  opt.via_host = "duet.local:5060";
  const auto c3 = rig.table->start_client(udp_target(), request_text(opt));
  EXPECT_EQ(rig.response(200, opt).event, ClientEvent::to_tu);
  EXPECT_TRUE(rig.table->request(c3.id).empty());
  const auto absorbed = rig.response(200, opt);
  EXPECT_EQ(absorbed.event, ClientEvent::absorbed);
  EXPECT_EQ(absorbed.id, c3.id);
  rig.advance(64 * 500 + 1000);
  EXPECT_EQ(rig.table->size(), 0u);
  EXPECT_EQ(rig.table->bytes_held(), 0u);
}

TEST(Limits, StaleHandlesStayStaleWhenTheSlotIsReused) {
  Options o;
  o.max_transactions = 1;
  Rig rig(o);
  Req a = numbered("OPTIONS", 1);
  a.proto = "TCP";
  const auto first = rig.request(a, tcp_target());
  rig.respond(first.id, 200, a);
  rig.advance(rig.opts.tick_ms);
  ASSERT_FALSE(rig.table->alive(first.id));
  const auto second = rig.request(numbered("OPTIONS", 2));
  ASSERT_EQ(second.event, ServerEvent::new_request);
  EXPECT_EQ(second.id.index, first.id.index);  // the slot is reused...
  EXPECT_NE(second.id, first.id);              // ...under a new generation
  EXPECT_FALSE(rig.table->respond(first.id, 200, "SIP/2.0 200 OK\r\n\r\n"));
  EXPECT_EQ(rig.table->state(first.id), State::terminated);
  rig.table->set_context(first.id, 77);
  EXPECT_EQ(rig.table->context(second.id), 0u);
}

TEST(Limits, TimersFireOnceEvenWhenRunRepeatedly) {
  Rig rig;
  const auto s = rig.table->start_client(udp_target(), request_text(numbered("OPTIONS", 1)));
  rig.clock.t += 500;
  for (int i = 0; i < 5; ++i) rig.table->run_timers();
  EXPECT_EQ(rig.sender.count("OPTIONS "), 2u);
  rig.clock.t += 100000;  // a long stall: every overdue timer fires once, in one go
  rig.table->run_timers();
  rig.table->run_timers();
  EXPECT_EQ(rig.tu.count('T', s.id), 1u);
  rig.clock.t += 10;
  rig.table->run_timers();
  EXPECT_EQ(rig.tu.count('X', s.id), 1u);
  EXPECT_EQ(rig.table->size(), 0u);
}

TEST(Limits, ContextTravelsWithTheTransaction) {
  Rig rig;
  const auto r = rig.request(numbered("INVITE", 1));
  rig.table->set_context(r.id, 1234);
  EXPECT_EQ(rig.table->context(r.id), 1234u);
  EXPECT_EQ(rig.request(numbered("INVITE", 1)).context, 1234u);
  rig.respond(r.id, 486, numbered("INVITE", 1));
  rig.advance(64 * 500 + 20);
  ASSERT_EQ(rig.tu.events.size(), 2u);
  EXPECT_EQ(rig.tu.events[0].context, 1234u);
  EXPECT_EQ(rig.tu.events[1].context, 1234u);
}

}  // namespace
}  // namespace duet::transaction::test
