// BufferWriter and ResponseBuilder (RFC 3261 §8.2.6, §18.2.1; RFC 3581 §4). Every built response is
// parsed again and checked field by field.
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "duet/sip/name_addr.hpp"
#include "duet/sip/values.hpp"
#include "duet/sip/via.hpp"
#include "duet/sip/writer.hpp"
#include "sip_test_util.hpp"

namespace duet::sip {
namespace {

using test::Parsed;
using test::with_body;

constexpr std::string_view kRequestHead =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;rport;branch=z9hG4bK776asdhds\n"
    "Max-Forwards: 70\n"
    "Via: SIP/2.0/UDP proxy1.example.com;branch=z9hG4bKp1, SIP/2.0/TCP "
    "proxy2.example.com:5070;branch=z9hG4bKp2\n"
    "To: Bob <sip:bob@biloxi.example.com>\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\n"
    "CSeq: 314159 INVITE\n"
    "Contact: <sip:alice@pc33.atlanta.example.com>\n";

std::vector<Via> vias(const Message& m) {
  std::vector<Via> out;
  for_each_value(m, HeaderId::via, [&](std::string_view v) {
    Via via;
    EXPECT_TRUE(parse_via(v, via)) << v;
    out.push_back(via);
    return true;
  });
  return out;
}

std::string to_tag(const Message& m) {
  NameAddr na;
  EXPECT_TRUE(parse_name_addr(m.header(HeaderId::to), na)) << m.header(HeaderId::to);
  return std::string(na.tag);
}

TEST(BufferWriter, PutsAndOverflow) {
  std::array<char, 16> buf{};
  BufferWriter w(buf.data(), buf.size());
  w.put("abc").put('-').put_uint(0).put('/').put_uint(4294967296ull);
  EXPECT_FALSE(w.overflowed());
  EXPECT_EQ(w.view(), "abc-0/4294967296");
  EXPECT_EQ(w.size(), 16u);
  w.put('x');
  EXPECT_TRUE(w.overflowed());
  EXPECT_LE(w.size(), buf.size());

  std::array<char, 32> big{};
  BufferWriter u(big.data(), big.size());
  u.put_uint(18446744073709551615ull);
  EXPECT_EQ(u.view(), "18446744073709551615");
}

TEST(ResponseBuilder, CopiesViasFixesTopViaAddsToTag) {
  Parsed req(with_body(kRequestHead));
  ASSERT_TRUE(req.ok()) << reason(req.r.error);
  std::array<char, 2048> buf{};
  ResponseBuilder b(buf.data(), buf.size());
  b.start(req.msg, 180, "Ringing", "totag1", {"192.0.2.9", 5062});
  const std::string_view out = b.finish();
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.substr(0, 21), "SIP/2.0 180 Ringing\r\n");

  Parsed resp{std::string(out)};
  ASSERT_TRUE(resp.ok()) << reason(resp.r.error) << "\n" << out;
  EXPECT_EQ(resp.msg.status_code(), 180);
  EXPECT_EQ(resp.msg.reason_phrase(), "Ringing");
  const auto v = vias(resp.msg);
  ASSERT_EQ(v.size(), 3u) << out;
  EXPECT_EQ(v[0].host, "pc33.atlanta.example.com");
  EXPECT_EQ(v[0].port, 5060);
  EXPECT_EQ(v[0].branch, "z9hG4bK776asdhds");
  EXPECT_TRUE(v[0].has_received);
  EXPECT_EQ(v[0].received, "192.0.2.9");
  EXPECT_TRUE(v[0].has_rport);
  EXPECT_EQ(v[0].rport, 5062u);
  EXPECT_EQ(v[1].host, "proxy1.example.com");
  EXPECT_FALSE(v[1].has_received);
  EXPECT_FALSE(v[1].has_rport);
  EXPECT_EQ(v[2].host, "proxy2.example.com");
  EXPECT_EQ(v[2].port, 5070);
  EXPECT_EQ(v[2].branch, "z9hG4bKp2");

  EXPECT_EQ(resp.msg.header(HeaderId::from), "Alice <sip:alice@atlanta.example.com>;tag=1928301774");
  EXPECT_EQ(to_tag(resp.msg), "totag1");
  EXPECT_EQ(resp.msg.call_id(), "a84b4c76e66710@pc33.atlanta.example.com");
  EXPECT_EQ(resp.msg.cseq_number(), 314159u);
  EXPECT_EQ(resp.msg.cseq_method(), "INVITE");
  EXPECT_FALSE(resp.msg.has(HeaderId::contact));
  EXPECT_FALSE(resp.msg.has(HeaderId::max_forwards));
  EXPECT_EQ(resp.msg.header(HeaderId::content_length), "0");
  EXPECT_EQ(resp.msg.body(), "");
  EXPECT_EQ(resp.r.consumed, out.size());
}

TEST(ResponseBuilder, RportOnlyWhenTheRequestAskedForIt) {
  // RFC 3581 §4: the server fills rport only if the top Via carried an rport parameter.
  const std::string head =
      test::replace_line(with_body(kRequestHead), "Via: SIP/2.0/UDP pc33",
                         "Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds");
  Parsed req(head);
  ASSERT_TRUE(req.ok()) << reason(req.r.error);
  std::array<char, 2048> buf{};
  ResponseBuilder b(buf.data(), buf.size());
  b.start(req.msg, 200, "OK", "t2", {"192.0.2.9", 5062});
  Parsed resp{std::string(b.finish())};
  ASSERT_TRUE(resp.ok()) << reason(resp.r.error) << "\n" << resp.buf;
  const auto v = vias(resp.msg);
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].received, "192.0.2.9");
  EXPECT_FALSE(v[0].has_rport);
}

TEST(ResponseBuilder, NoViaFixLeavesTheTopViaAlone) {
  Parsed req(with_body(kRequestHead));
  ASSERT_TRUE(req.ok());
  std::array<char, 2048> buf{};
  ResponseBuilder b(buf.data(), buf.size());
  b.start(req.msg, 486, "Busy Here", "t3");
  Parsed resp{std::string(b.finish())};
  ASSERT_TRUE(resp.ok()) << reason(resp.r.error) << "\n" << resp.buf;
  EXPECT_EQ(resp.msg.header(HeaderId::via),
            "SIP/2.0/UDP pc33.atlanta.example.com:5060;rport;branch=z9hG4bK776asdhds");
}

TEST(ResponseBuilder, TopValueOfMultiValueViaFieldIsTheOneFixed) {
  const std::string head =
      "OPTIONS sip:bob@biloxi.example.com SIP/2.0\n"
      "Via: SIP/2.0/UDP a.example.com;rport;branch=z9hG4bKa, SIP/2.0/UDP "
      "b.example.com;rport;branch=z9hG4bKb\n"
      "Max-Forwards: 70\nTo: <sip:bob@biloxi.example.com>\nFrom: <sip:alice@atlanta.example.com>;tag=1\n"
      "Call-ID: mv-1\nCSeq: 1 OPTIONS\n";
  Parsed req(with_body(head));
  ASSERT_TRUE(req.ok()) << reason(req.r.error);
  std::array<char, 2048> buf{};
  ResponseBuilder b(buf.data(), buf.size());
  b.start(req.msg, 200, "OK", "t4", {"198.51.100.1", 1234});
  Parsed resp{std::string(b.finish())};
  ASSERT_TRUE(resp.ok()) << reason(resp.r.error) << "\n" << resp.buf;
  const auto v = vias(resp.msg);
  ASSERT_EQ(v.size(), 2u) << resp.buf;
  EXPECT_EQ(v[0].host, "a.example.com");
  EXPECT_EQ(v[0].received, "198.51.100.1");
  EXPECT_EQ(v[0].rport, 1234u);
  EXPECT_EQ(v[1].host, "b.example.com");
  EXPECT_FALSE(v[1].has_received);
  EXPECT_EQ(v[1].rport, 0u);
  EXPECT_EQ(v[1].branch, "z9hG4bKb");
}

TEST(ResponseBuilder, NoToTagOn100) {
  Parsed req(with_body(kRequestHead));
  ASSERT_TRUE(req.ok());
  std::array<char, 2048> buf{};
  ResponseBuilder b(buf.data(), buf.size());
  b.start(req.msg, 100, "Trying", "never");
  Parsed resp{std::string(b.finish())};
  ASSERT_TRUE(resp.ok()) << reason(resp.r.error) << "\n" << resp.buf;
  EXPECT_EQ(resp.msg.header(HeaderId::to), "Bob <sip:bob@biloxi.example.com>");
}

TEST(ResponseBuilder, ExistingToTagIsKept) {
  const std::string msg =
      test::replace_line(with_body(kRequestHead), "To:", "To: Bob <sip:bob@biloxi.example.com>;tag=dialog7");
  Parsed req(msg);
  ASSERT_TRUE(req.ok());
  std::array<char, 2048> buf{};
  ResponseBuilder b(buf.data(), buf.size());
  b.start(req.msg, 200, "OK", "fresh");
  Parsed resp{std::string(b.finish())};
  ASSERT_TRUE(resp.ok()) << reason(resp.r.error) << "\n" << resp.buf;
  EXPECT_EQ(resp.msg.header(HeaderId::to), "Bob <sip:bob@biloxi.example.com>;tag=dialog7");
  EXPECT_EQ(to_tag(resp.msg), "dialog7");
}

TEST(ResponseBuilder, CompactFormRequest) {
  const std::string head =
      "REGISTER sip:registrar.example.com SIP/2.0\n"
      "v: SIP/2.0/TCP 192.0.2.50:49152;branch=z9hG4bKreg;rport\n"
      "Max-Forwards: 70\n"
      "t: <sip:1001@registrar.example.com>\n"
      "f: <sip:1001@registrar.example.com>;tag=r1\n"
      "i: reg-call-1\n"
      "CSeq: 2 REGISTER\n";
  Parsed req(with_body(head));
  ASSERT_TRUE(req.ok()) << reason(req.r.error);
  std::array<char, 2048> buf{};
  ResponseBuilder b(buf.data(), buf.size());
  b.start(req.msg, 401, "Unauthorized", "t401", {"203.0.113.9", 61000});
  b.header("WWW-Authenticate", "Digest realm=\"registrar.example.com\", nonce=\"abc\", algorithm=MD5");
  b.header_uint("Min-Expires", 60);
  b.raw("X-Duet: a\r\nX-Duet: b\r\n");
  Parsed resp{std::string(b.finish())};
  ASSERT_TRUE(resp.ok()) << reason(resp.r.error) << "\n" << resp.buf;
  EXPECT_EQ(resp.msg.status_code(), 401);
  EXPECT_EQ(resp.msg.call_id(), "reg-call-1");
  EXPECT_EQ(to_tag(resp.msg), "t401");
  const auto v = vias(resp.msg);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].received, "203.0.113.9");
  EXPECT_EQ(v[0].rport, 61000u);
  EXPECT_EQ(v[0].branch, "z9hG4bKreg");
  EXPECT_EQ(resp.msg.header(HeaderId::www_authenticate),
            "Digest realm=\"registrar.example.com\", nonce=\"abc\", algorithm=MD5");
  EXPECT_EQ(resp.msg.header(HeaderId::min_expires), "60");
  std::vector<std::string> xs;
  for (std::uint16_t i = 0; i < resp.msg.header_count(); ++i) {
    if (resp.msg.field(i).name == "X-Duet") xs.emplace_back(resp.msg.field(i).value);
  }
  EXPECT_EQ(xs, (std::vector<std::string>{"a", "b"}));
}

TEST(ResponseBuilder, BodyAndContentType) {
  Parsed req(with_body(kRequestHead));
  ASSERT_TRUE(req.ok());
  std::array<char, 4096> buf{};
  ResponseBuilder b(buf.data(), buf.size());
  b.start(req.msg, 200, "OK", "t5");
  const std::string_view out = b.finish(test::kSdp, "application/sdp");
  Parsed resp{std::string(out)};
  ASSERT_TRUE(resp.ok()) << reason(resp.r.error) << "\n" << out;
  EXPECT_EQ(resp.msg.header(HeaderId::content_type), "application/sdp");
  EXPECT_EQ(resp.msg.header(HeaderId::content_length), std::to_string(test::kSdp.size()));
  EXPECT_EQ(resp.msg.body(), test::kSdp);
  Parsed stream{std::string(out), test::stream_opts()};
  ASSERT_TRUE(stream.ok());
  EXPECT_EQ(stream.r.consumed, out.size());
}

TEST(ResponseBuilder, Overflow) {
  Parsed req(with_body(kRequestHead));
  ASSERT_TRUE(req.ok());
  std::array<char, 64> small{};
  ResponseBuilder b(small.data(), small.size());
  b.start(req.msg, 180, "Ringing", "t6");
  EXPECT_TRUE(b.finish().empty());
  EXPECT_TRUE(b.writer().overflowed());
  // Just big enough fails, one byte bigger than needed succeeds: find the size, then check the edge.
  std::array<char, 4096> big{};
  ResponseBuilder full(big.data(), big.size());
  full.start(req.msg, 180, "Ringing", "t6");
  const std::size_t need = full.finish().size();
  ASSERT_GT(need, 0u);
  std::vector<char> exact(need), short_by_one(need - 1);
  ResponseBuilder e(exact.data(), exact.size());
  e.start(req.msg, 180, "Ringing", "t6");
  EXPECT_EQ(e.finish().size(), need);
  ResponseBuilder s(short_by_one.data(), short_by_one.size());
  s.start(req.msg, 180, "Ringing", "t6");
  EXPECT_TRUE(s.finish().empty());
  EXPECT_TRUE(s.writer().overflowed());
}

TEST(ResponseBuilder, FromAnErrorResultSkipsWhatIsMissing) {
  // A request without CSeq still gets a 400 carrying its Via, From, To and Call-ID.
  Parsed req(test::without_line(with_body(kRequestHead), "CSeq:"));
  ASSERT_EQ(req.r.status, ParseStatus::error);
  ASSERT_EQ(req.r.error, ParseError::missing_cseq);
  std::array<char, 2048> buf{};
  ResponseBuilder b(buf.data(), buf.size());
  b.start(req.msg, 400, reason(req.r.error), "t400", {"192.0.2.9", 5062});
  const std::string out(b.finish());
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.rfind("SIP/2.0 400 " + std::string(reason(ParseError::missing_cseq)) + "\r\n", 0), 0u) << out;
  EXPECT_NE(out.find("branch=z9hG4bK776asdhds"), std::string::npos) << out;
  EXPECT_NE(out.find("a84b4c76e66710@pc33.atlanta.example.com"), std::string::npos) << out;
  EXPECT_NE(out.find(";tag=1928301774"), std::string::npos) << out;
  EXPECT_EQ(out.find("\r\nCSeq:"), std::string::npos) << out;
  EXPECT_EQ(out.substr(out.size() - 4), "\r\n\r\n");
}

}  // namespace
}  // namespace duet::sip
