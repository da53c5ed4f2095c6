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

// start_client with the branch and method given by the caller (a proxy's own Via): matched like
// a parsed start, from the stored copy (the caller's buffer may be gone), and refused when the
// branch is not in the request, has no cookie, or the method is not the request's.
TEST(ClientKeyed, MatchesFromItsStoredCopyAndRefusesWhatIsNotItsOwn) {
  Rig rig;
  Req r;
  r.method = "OPTIONS";
  r.branch = "z9hG4bK-keyed";
  r.via_host = "duet.local:5060";
  std::string buf = request_text(r);
  const std::string_view text(buf);
  const std::string_view branch = text.substr(text.find("z9hG4bK-keyed"), r.branch.size());
  const auto s = rig.table->start_client(udp_target(), text, branch, sip::Method::options, 42);
  ASSERT_EQ(s.error, StartError::none);
  EXPECT_EQ(rig.sender.sent.back().bytes, buf);
  std::fill(buf.begin(), buf.end(), 'x');  // the caller's buffer is reused
  EXPECT_EQ(expect_matched_only_by_branch_and_method(rig, r, s.id, 200).context, 42u);

  Req bad = r;
  bad.branch = "z9hG4bK-second";
  const std::string b2 = request_text(bad);
  const std::string_view t2(b2);
  const std::string_view br2 = t2.substr(t2.find("z9hG4bK-second"), bad.branch.size());
  const std::string elsewhere(br2);
  EXPECT_EQ(rig.table->start_client(udp_target(), t2, elsewhere, sip::Method::options, 0).error,
            StartError::bad_request);  // not a view into the request
  EXPECT_EQ(rig.table->start_client(udp_target(), t2, br2, sip::Method::invite, 0).error,
            StartError::bad_request);  // not its method
  EXPECT_EQ(rig.table->start_client(udp_target(), t2, br2.substr(7), sip::Method::options, 0).error,
            StartError::bad_request);  // no magic cookie
  const std::string status_line = "SIP/2.0 200 OK\r\n" + b2.substr(b2.find('\n') + 1);
  const std::string_view t4(status_line);
  EXPECT_EQ(rig.table
                ->start_client(udp_target(), t4, t4.substr(t4.find("z9hG4bK"), bad.branch.size()),
                               sip::Method::unknown, 0)
                .error,
            StartError::bad_request);  // not a request
  Req ack = bad;
  ack.method = "ACK";
  const std::string b3 = request_text(ack);
  const std::string_view t3(b3);
  EXPECT_EQ(rig.table
                ->start_client(udp_target(), t3, t3.substr(t3.find("z9hG4bK"), ack.branch.size()),
                               sip::Method::ack, 0)
                .error,
            StartError::bad_request);  // ACK has no client transaction
  EXPECT_EQ(rig.table->start_client(udp_target(), t2, br2, sip::Method::options, 0).error, StartError::none);
}

}  // namespace
}  // namespace duet::transaction::test
