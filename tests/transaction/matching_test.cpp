// Matching (RFC 3261 §17.1.3, §17.2.3, RFC 2543 fallback), ACK for 2xx vs non-2xx, CANCEL lookup.
#include "harness.hpp"

namespace duet::transaction::test {
namespace {

Req with(std::string method, std::string branch) {
  Req r;
  r.method = std::move(method);
  r.branch = std::move(branch);
  return r;
}

TEST(ServerMatching, SentByAndMethodArePartOfTheKey) {
  Rig rig;
  const auto a = rig.request(Req{});
  Req other_host;
  other_host.via_host = "10.0.0.2:5060";
  const auto b = rig.request(other_host);
  EXPECT_EQ(b.event, ServerEvent::new_request);  // same branch from another sent-by
  EXPECT_NE(a.id, b.id);
  Req other_port;
  other_port.via_host = "10.0.0.1:5062";
  EXPECT_EQ(rig.request(other_port).event, ServerEvent::new_request);
  // Same branch, another method: another transaction.
  const auto bye = rig.request(with("BYE", "z9hG4bK-abc"));
  EXPECT_EQ(bye.event, ServerEvent::new_request);
  EXPECT_EQ(rig.table->kind(bye.id), Kind::server_non_invite);
  // Host compared case-insensitively, branch exactly.
  Req named = with("INVITE", "z9hG4bK-named");
  named.via_host = "ua.Example.com:5060";
  EXPECT_EQ(rig.request(named).event, ServerEvent::new_request);
  named.via_host = "UA.example.COM:5060";
  EXPECT_EQ(rig.request(named).event, ServerEvent::retransmission);
  EXPECT_EQ(rig.request(with("INVITE", "z9hG4bK-ABC")).event, ServerEvent::new_request);
  EXPECT_EQ(rig.table->size(), 6u);
}

TEST(ServerMatching, AckWithItsOwnBranchIsForTheTu) {
  Rig rig;
  const auto r = rig.request(Req{});
  ASSERT_TRUE(rig.respond(r.id, 200, Req{}));
  Req ack = with("ACK", "z9hG4bK-ack2xx");  // a 2xx ACK is a new transaction upstream
  ack.to_tag = "tt1";
  const auto a = rig.request(ack);
  EXPECT_EQ(a.event, ServerEvent::ack_to_tu);
  EXPECT_FALSE(a.id.valid());
  EXPECT_EQ(rig.table->size(), 1u);  // an ACK never creates a transaction
  const std::size_t sent = rig.sender.sent.size();
  rig.request(ack);
  EXPECT_EQ(rig.sender.sent.size(), sent);  // and is never answered
}

TEST(ServerMatching, StrayAckIsForTheTu) {
  Rig rig;
  EXPECT_EQ(rig.request(with("ACK", "z9hG4bK-nothing")).event, ServerEvent::ack_to_tu);
  EXPECT_EQ(rig.table->size(), 0u);
  EXPECT_TRUE(rig.sender.sent.empty());
}

TEST(ServerMatching, CancelFindsItsInviteAndThe487PathCompletesIt) {
  Rig rig;
  const auto inv = rig.request(Req{});
  ASSERT_TRUE(rig.respond(inv.id, 180, Req{}));
  const auto c = rig.request(with("CANCEL", "z9hG4bK-abc"));
  ASSERT_EQ(c.event, ServerEvent::new_request);
  EXPECT_NE(c.id, inv.id);  // CANCEL has its own transaction
  EXPECT_EQ(rig.table->kind(c.id), Kind::server_non_invite);
  EXPECT_EQ(c.cancel_target, inv.id);
  // The proxy answers the CANCEL, then ends the INVITE with 487.
  ASSERT_TRUE(rig.table->respond_with(c.id, 200, "OK", "tt1"));
  ASSERT_TRUE(rig.table->respond_487(inv.id, "tt1"));
  EXPECT_EQ(rig.table->state(inv.id), State::completed);
  sip::Message m;
  parse_ok(rig.sender.sent.back().bytes, m);
  EXPECT_EQ(m.status_code(), 487);
  EXPECT_EQ(m.cseq_method(), "INVITE");
  EXPECT_EQ(m.to().tag, "tt1");
  EXPECT_FALSE(rig.table->respond_487(inv.id));  // only once, only in Proceeding
  Req ack = with("ACK", "z9hG4bK-abc");
  ack.to_tag = "tt1";
  EXPECT_EQ(rig.request(ack).event, ServerEvent::ack_absorbed);
}

TEST(ServerMatching, CancelForNothingHasNoTarget) {
  Rig rig;
  rig.request(Req{});
  const auto c = rig.request(with("CANCEL", "z9hG4bK-other"));
  EXPECT_EQ(c.event, ServerEvent::new_request);
  EXPECT_FALSE(c.cancel_target.valid());
  // A non-INVITE transaction on the same branch is not a CANCEL target.
  rig.request(with("OPTIONS", "z9hG4bK-opt"));
  EXPECT_FALSE(rig.request(with("CANCEL", "z9hG4bK-opt")).cancel_target.valid());
  Req cancel = with("CANCEL", "z9hG4bK-abc");
  sip::Message m;
  const std::string text = request_text(cancel);
  parse_ok(text, m);
  EXPECT_TRUE(rig.table->find_invite_for_cancel(m).valid());
  sip::Message inv;
  const std::string itext = request_text(Req{});
  parse_ok(itext, inv);
  EXPECT_FALSE(rig.table->find_invite_for_cancel(inv).valid());  // not a CANCEL
}

// RFC 2543 clients: no magic cookie, matched on Request-URI, From tag, Call-ID, CSeq, top Via.
TEST(ServerMatching, Rfc2543FallbackMatchesRetransmissionsAckAndCancel) {
  Rig rig;
  Req old = with("INVITE", "");
  const auto r = rig.request(old);
  ASSERT_EQ(r.event, ServerEvent::new_request);
  EXPECT_EQ(rig.request(old).event, ServerEvent::retransmission);
  Req other_cseq = old;
  other_cseq.cseq = 2;
  EXPECT_EQ(rig.request(other_cseq).event, ServerEvent::new_request);

  Req cancel = old;
  cancel.method = "CANCEL";
  EXPECT_EQ(rig.request(cancel).cancel_target, r.id);

  ASSERT_TRUE(rig.respond(r.id, 486, old, "our-tag"));
  Req wrong_ack = old;
  wrong_ack.method = "ACK";
  wrong_ack.to_tag = "someone-else";
  EXPECT_EQ(rig.request(wrong_ack).event, ServerEvent::ack_to_tu);  // not the tag we sent
  EXPECT_EQ(rig.table->state(r.id), State::completed);
  Req ack = wrong_ack;
  ack.to_tag = "our-tag";
  const auto a = rig.request(ack);
  EXPECT_EQ(a.event, ServerEvent::ack_absorbed);
  EXPECT_EQ(a.id, r.id);
  EXPECT_EQ(rig.table->state(r.id), State::confirmed);
}

TEST(ServerMatching, Rfc2543BranchWithoutCookieIsNotTrusted) {
  Rig rig;
  Req a = with("INVITE", "1");  // an RFC 2543 branch that two clients could both use
  const auto first = rig.request(a);
  Req b = a;
  b.call_id = "another-call";
  const auto second = rig.request(b);
  EXPECT_EQ(second.event, ServerEvent::new_request);
  EXPECT_NE(first.id, second.id);
}

TEST(ClientMatching, BranchAndCSeqMethodBothMatter) {
  Rig rig;
  Req inv;
  inv.branch = "z9hG4bK-c1";
  const auto s = rig.table->start_client(udp_target(), request_text(inv));
  expect_matched_only_by_branch_and_method(rig, inv, s.id, 180);
}

// The key indexes start small and double as transactions come: every transaction inserted before,
// across and after a doubling is still found, on both sides, and one that ended is not.
TEST(Matching, EveryTransactionIsFoundWhileTheIndexesGrow) {
  Rig rig;
  constexpr int kEach = 5000;  // several doublings past the first size
  std::vector<Req> server(kEach), client(kEach);
  std::vector<TxnId> server_ids, client_ids;
  for (int i = 0; i < kEach; ++i) {
    server[i].method = "OPTIONS";
    server[i].branch = "z9hG4bK-s" + std::to_string(i);
    const auto r = rig.request(server[i]);
    ASSERT_EQ(r.event, ServerEvent::new_request) << i;
    server_ids.push_back(r.id);
    client[i].method = "OPTIONS";
    client[i].branch = "z9hG4bK-c" + std::to_string(i);
    client[i].via_host = "duet.local:5060";
    const auto c = rig.table->start_client(udp_target(), request_text(client[i]));
    ASSERT_TRUE(c.id.valid()) << i;
    client_ids.push_back(c.id);
  }
  for (int i = 0; i < kEach; ++i) {
    const auto again = rig.request(server[i]);
    EXPECT_EQ(again.event, ServerEvent::retransmission) << i;
    EXPECT_EQ(again.id, server_ids[i]) << i;
    const auto answer = rig.response(200, client[i]);
    EXPECT_EQ(answer.event, ClientEvent::to_tu) << i;
    EXPECT_EQ(answer.id, client_ids[i]) << i;
  }
  // Ended (Timer K for the clients; the servers, never answered, by their safety net): gone from
  // the indexes, so the same branch starts a new transaction.
  rig.advance(rig.opts.unanswered_ms + 1000);
  EXPECT_EQ(rig.table->size(), 0u);
  EXPECT_EQ(rig.request(server[kEach / 2]).event, ServerEvent::new_request);
  EXPECT_EQ(rig.response(200, client[kEach / 2]).event, ClientEvent::no_match);
}

}  // namespace
}  // namespace duet::transaction::test
