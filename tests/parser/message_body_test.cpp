// Message bodies and framing by Content-Length (RFC 3261 §7.4, §18.3, §20.14) in datagram and
// stream mode, need_more on streams, pipelining.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "duet/sip/message.hpp"
#include "sip_test_util.hpp"

namespace duet::sip {
namespace {

using test::crlf;
using test::Parsed;
using test::stream_opts;
using test::with_body;

// kInviteHead without Content-Length, the blank line, then raw bytes.
std::string head_then(std::string_view content_length_line, std::string_view rest) {
  std::string out = crlf(test::kInviteHead);
  out += content_length_line;
  out += "\r\n";
  out.append(rest.data(), rest.size());
  return out;
}

TEST(Body, DatagramBodyByContentLength) {
  Parsed p(test::invite());
  ASSERT_TRUE(p.ok()) << reason(p.r.error);
  EXPECT_EQ(p.msg.body(), test::kSdp);
  EXPECT_EQ(p.msg.raw().size(), p.buf.size());
}

TEST(Body, DatagramShorterContentLengthTruncatesTheBody) {
  // §18.3: octets past Content-Length in a datagram are discarded.
  Parsed p(head_then("Content-Length: 4\r\n", "v=0\r\ntrailing junk"));
  ASSERT_TRUE(p.ok()) << reason(p.r.error);
  EXPECT_EQ(p.msg.body(), "v=0\r");
  EXPECT_EQ(p.msg.raw(),
            std::string_view(p.buf).substr(0, p.buf.size() - std::string("\ntrailing junk").size()));
}

TEST(Body, DatagramContentLengthZeroWithTrailingBytes) {
  Parsed p(head_then("Content-Length: 0\r\n", "garbage after the message"));
  ASSERT_TRUE(p.ok()) << reason(p.r.error);
  EXPECT_EQ(p.msg.body(), "");
  EXPECT_TRUE(p.msg.has_content_length());
}

TEST(Body, DatagramLongerContentLengthIsTruncatedError) {
  Parsed p(head_then("Content-Length: 500\r\n", test::kSdp));
  EXPECT_EQ(p.r.status, ParseStatus::error);
  EXPECT_EQ(p.r.error, ParseError::body_truncated);
  // Headers are still readable so a 400 can be built.
  EXPECT_EQ(p.msg.call_id(), "a84b4c76e66710@pc33.atlanta.example.com");
}

TEST(Body, DatagramWithoutContentLengthTakesTheRest) {
  Parsed p(head_then("", test::kSdp));
  ASSERT_TRUE(p.ok()) << reason(p.r.error);
  EXPECT_FALSE(p.msg.has_content_length());
  EXPECT_EQ(p.msg.body(), test::kSdp);
}

TEST(Body, DatagramWithoutBlankLineIsAnError) {
  // Nothing more will arrive on a datagram: a header block with no terminating empty line is broken.
  std::string msg = crlf(test::kInviteHead);
  Parsed p(msg);
  EXPECT_EQ(p.r.status, ParseStatus::error);
  EXPECT_EQ(p.r.error, ParseError::unterminated_headers);
  // One CRLF short of the blank line is still unterminated.
  Parsed q(crlf(test::kInviteHead) + "Content-Length: 0\r\n");
  EXPECT_EQ(q.r.status, ParseStatus::error);
  EXPECT_EQ(q.r.error, ParseError::unterminated_headers);
}

TEST(Body, CompactContentLengthWithWhitespace) {
  Parsed p(head_then("l:   5   \r\n", "hello, and more"));
  ASSERT_TRUE(p.ok()) << reason(p.r.error);
  EXPECT_EQ(p.msg.body(), "hello");
}

TEST(Body, BodyMayContainNulAndBareCr) {
  // The body is opaque octets (§7.4); only the header block forbids NUL and bare CR.
  const std::string body("a\0b\rc\nd\0", 8);
  Parsed d(with_body(test::kInviteHead, body));
  ASSERT_TRUE(d.ok()) << reason(d.r.error);
  EXPECT_EQ(d.msg.body(), body);
  Parsed s(with_body(test::kInviteHead, body), stream_opts());
  ASSERT_TRUE(s.ok()) << reason(s.r.error);
  EXPECT_EQ(s.msg.body(), body);
}

TEST(Body, StreamRequiresContentLength) {
  Parsed p(head_then("", test::kSdp), stream_opts());
  EXPECT_EQ(p.r.status, ParseStatus::error);
  EXPECT_EQ(p.r.error, ParseError::missing_content_length);
}

TEST(Body, StreamCompleteMessage) {
  Parsed p(test::invite(), stream_opts());
  ASSERT_TRUE(p.ok()) << reason(p.r.error);
  EXPECT_EQ(p.r.consumed, p.buf.size());
  EXPECT_EQ(p.msg.body(), test::kSdp);
}

TEST(Body, StreamNeedsMoreAtEveryPrefix) {
  const std::string full = test::invite();
  for (std::size_t n = 1; n < full.size(); ++n) {
    const std::string prefix = full.substr(0, n);
    Message m;
    const ParseResult r = parse(prefix, m, stream_opts());
    ASSERT_EQ(r.status, ParseStatus::need_more) << "prefix of " << n << " bytes: " << reason(r.error);
    EXPECT_EQ(r.consumed, 0u) << n;
  }
  Message m;
  const ParseResult r = parse(full, m, stream_opts());
  ASSERT_EQ(r.status, ParseStatus::ok);
  EXPECT_EQ(r.consumed, full.size());
}

TEST(Body, StreamNeedMoreCountsLeadingCrlfAsDiscardable) {
  Message m;
  ParseResult r = parse("\r\n\r\n", m, stream_opts());
  EXPECT_EQ(r.status, ParseStatus::need_more);
  EXPECT_EQ(r.consumed, 4u);
  r = parse("\r\n\r\nINVITE sip:bob@bil", m, stream_opts());
  EXPECT_EQ(r.status, ParseStatus::need_more);
  EXPECT_EQ(r.consumed, 4u);
}

TEST(Body, StreamPipelinedMessages) {
  const std::string a = test::invite();
  const std::string b = test::ok_response();
  const std::string c = with_body(test::kInviteHead, "tiny");
  const std::string buf = a + b + "\r\n" + c + "INVITE sip:partial";
  std::string_view rest = buf;
  std::vector<std::string> bodies;
  std::vector<bool> requests;
  for (int i = 0; i < 3; ++i) {
    Message m;
    const ParseResult r = parse(rest, m, stream_opts());
    ASSERT_EQ(r.status, ParseStatus::ok) << i << ": " << reason(r.error);
    bodies.emplace_back(m.body());
    requests.push_back(m.is_request());
    rest.remove_prefix(r.consumed);
  }
  EXPECT_EQ(bodies, (std::vector<std::string>{std::string(test::kSdp), "", "tiny"}));
  EXPECT_EQ(requests, (std::vector<bool>{true, false, true}));
  EXPECT_EQ(rest, "INVITE sip:partial");
  Message m;
  EXPECT_EQ(parse(rest, m, stream_opts()).status, ParseStatus::need_more);
}

TEST(Body, StreamMessageAfterCrlfKeepalive) {
  const std::string a = test::invite();
  const std::string buf = "\r\n" + a;
  Parsed p(buf, stream_opts());
  ASSERT_TRUE(p.ok()) << reason(p.r.error);
  EXPECT_EQ(p.r.consumed, buf.size());
  EXPECT_EQ(p.msg.raw(), a);
}

}  // namespace
}  // namespace duet::sip
