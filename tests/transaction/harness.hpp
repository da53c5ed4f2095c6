// Test rig for the transaction layer: a fake clock, a Sender that records every datagram, a TU that
// records every callback, and SIP text builders. Time moves only when a test says so.
#pragma once

#include <gtest/gtest.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "duet/sip/message.hpp"
#include "duet/transaction/table.hpp"

namespace duet::transaction::test {

struct FakeClock : Clock {
  std::uint64_t t = 1'000'000;  // not 0: deadlines must not depend on the epoch
  std::uint64_t now_ms() const override { return t; }
};

struct RecordingSender : Sender {
  struct Sent {
    Target to;
    std::string bytes;
    std::uint64_t at;
  };
  explicit RecordingSender(const FakeClock& c) : clock(c) {}
  bool send(const Target& to, std::string_view bytes) override {
    if (fail) return false;
    sent.push_back({to, std::string(bytes), clock.t});
    return true;
  }
  // How many datagrams begin with prefix (e.g. "SIP/2.0 100", "ACK ").
  std::size_t count(std::string_view prefix) const {
    std::size_t n = 0;
    for (const auto& s : sent) n += s.bytes.starts_with(prefix);
    return n;
  }
  std::vector<std::uint64_t> times(std::string_view prefix) const {
    std::vector<std::uint64_t> v;
    for (const auto& s : sent) {
      if (s.bytes.starts_with(prefix)) v.push_back(s.at);
    }
    return v;
  }
  const FakeClock& clock;
  std::vector<Sent> sent;
  bool fail = false;
};

struct RecordingTu : TransactionUser {
  struct Event {
    char what;  // 'T' timeout, 'E' transport error, 'X' terminated
    TxnId id;
    std::uint64_t context;
  };
  void on_timeout(TxnId id, std::uint64_t ctx) override {
    events.push_back({'T', id, ctx});
    if (on_timeout_hook) on_timeout_hook(id);
  }
  void on_transport_error(TxnId id, std::uint64_t ctx) override { events.push_back({'E', id, ctx}); }
  void on_terminated(TxnId id, std::uint64_t ctx) override { events.push_back({'X', id, ctx}); }
  std::size_t count(char what, TxnId id = {}) const {
    std::size_t n = 0;
    for (const auto& e : events) n += e.what == what && (!id.valid() || e.id == id);
    return n;
  }
  std::function<void(TxnId)> on_timeout_hook;
  std::vector<Event> events;
};

inline Target udp_target(std::uint16_t port = 5070) {
  Target t;
  t.proto = transport::Proto::udp;
  auto* sin = reinterpret_cast<sockaddr_in*>(&t.peer);
  sin->sin_family = AF_INET;
  sin->sin_port = htons(port);
  sin->sin_addr.s_addr = htonl(0x7f000001);
  return t;
}

inline Target tcp_target(std::uint64_t conn = 7) {
  Target t = udp_target();
  t.proto = transport::Proto::tcp;
  t.conn_id = conn;
  return t;
}

struct Req {
  std::string method = "INVITE";
  std::string branch = "z9hG4bK-abc";
  std::string cseq_method;  // empty: same as method
  std::uint32_t cseq = 1;
  std::string via_host = "10.0.0.1:5060";
  std::string proto = "UDP";
  std::string to_tag;
  std::string call_id = "call-1@10.0.0.1";
  std::string extra;  // extra header lines, each ending in CRLF
};

inline std::string request_text(const Req& r) {
  std::string s = r.method + " sip:bob@example.com SIP/2.0\r\n";
  s +=
      "Via: SIP/2.0/" + r.proto + " " + r.via_host + (r.branch.empty() ? "" : ";branch=" + r.branch) + "\r\n";
  s += "Max-Forwards: 70\r\n";
  s += "From: <sip:alice@example.com>;tag=ft1\r\n";
  s += "To: <sip:bob@example.com>" + (r.to_tag.empty() ? "" : ";tag=" + r.to_tag) + "\r\n";
  s += "Call-ID: " + r.call_id + "\r\n";
  s += "CSeq: " + std::to_string(r.cseq) + " " + (r.cseq_method.empty() ? r.method : r.cseq_method) + "\r\n";
  s += r.extra;
  s += "Content-Length: 0\r\n\r\n";
  return s;
}

inline std::string response_text(int status, const Req& r, std::string_view to_tag = "tt1") {
  std::string s = "SIP/2.0 " + std::to_string(status) + " Whatever\r\n";
  s +=
      "Via: SIP/2.0/" + r.proto + " " + r.via_host + (r.branch.empty() ? "" : ";branch=" + r.branch) + "\r\n";
  s += "From: <sip:alice@example.com>;tag=ft1\r\n";
  s += "To: <sip:bob@example.com>" + (to_tag.empty() ? "" : ";tag=" + std::string(to_tag)) + "\r\n";
  s += "Call-ID: " + r.call_id + "\r\n";
  s += "CSeq: " + std::to_string(r.cseq) + " " + (r.cseq_method.empty() ? r.method : r.cseq_method) + "\r\n";
  s += "Content-Length: 0\r\n\r\n";
  return s;
}

// Parses text that must be valid; the Message views text, so text must outlive it.
inline void parse_ok(const std::string& text, sip::Message& m) {
  const auto r = sip::parse(text, m);
  ASSERT_EQ(r.status, sip::ParseStatus::ok) << text;
}

// Options whose end-of-wait timers keep their RFC values to the tick, as most tests assert them;
// the rounding of Options::end_grain_ms has tests of its own.
inline Options exact_timers(Options o = {}) {
  o.end_grain_ms = 1;
  return o;
}

struct Rig {
  explicit Rig(Options o = exact_timers())
      : opts(o), sender(clock), table(std::make_unique<TransactionTable>(opts, sender, clock, tu)) {}

  ServerResult request(const Req& r, const Target& from = udp_target(), const sip::ResponseViaFix& fix = {}) {
    const std::string text = request_text(r);
    sip::Message m;
    parse_ok(text, m);
    return table->receive_request(from, m, fix);
  }
  ClientResult response(int status, const Req& r, std::string_view to_tag = "tt1") {
    const std::string text = response_text(status, r, to_tag);
    sip::Message m;
    parse_ok(text, m);
    return table->receive_response(udp_target(), m);
  }
  // A bare response the TU would send for a server transaction.
  bool respond(TxnId id, int status, const Req& r, std::string_view to_tag = "tt1") {
    return table->respond(id, status, response_text(status, r, to_tag));
  }
  // Moves time forward in tick-sized steps, running the timers at each step as a loop would.
  void advance(std::uint64_t ms) {
    const std::uint64_t end = clock.t + ms;
    while (clock.t < end) {
      clock.t = std::min(end, clock.t + opts.tick_ms);
      table->run_timers();
    }
  }

  Options opts;
  FakeClock clock;
  RecordingSender sender;
  RecordingTu tu;
  std::unique_ptr<TransactionTable> table;
};

// §17.1.3: a response matches the client transaction `id` started for r only by r's branch and
// CSeq method: another method's or another branch's response matches nothing, r's own (status)
// goes to the TU with id. Returns that last result for further checks.
inline ClientResult expect_matched_only_by_branch_and_method(Rig& rig, const Req& r, TxnId id, int status) {
  Req other_method = r;
  other_method.cseq_method = r.method == "BYE" ? "INFO" : "BYE";
  EXPECT_EQ(rig.response(status, other_method).event, ClientEvent::no_match);
  Req other_branch = r;
  other_branch.branch = r.branch + "-other";
  EXPECT_EQ(rig.response(status, other_branch).event, ClientEvent::no_match);
  const ClientResult own = rig.response(status, r);
  EXPECT_EQ(own.event, ClientEvent::to_tu);
  EXPECT_EQ(own.id, id);
  return own;
}

}  // namespace duet::transaction::test
