// Resource limits (Limits in message.hpp): each has its own ParseError, in both framing modes,
// so a hostile peer cannot make the parser read or buffer without bound.
#include <gtest/gtest.h>

#include <string>

#include "duet/sip/message.hpp"
#include "sip_test_util.hpp"

namespace duet::sip {
namespace {

using test::crlf;
using test::Parsed;
using test::with_body;

ParseOptions with_limits(Framing mode, std::size_t size, std::size_t line, std::uint16_t headers) {
  ParseOptions o;
  o.mode = mode;
  o.limits.max_message_size = size;
  o.limits.max_line_length = line;
  o.limits.max_headers = headers;
  return o;
}

TEST(Limits, DefaultsAreDocumented) {
  const Limits l;
  EXPECT_EQ(l.max_message_size, 65535u);
  EXPECT_EQ(l.max_line_length, 8192u);
  EXPECT_EQ(l.max_headers, 256);
}

TEST(Limits, MessageTooLargeDatagram) {
  const std::string msg = test::invite();
  Parsed fits(msg, with_limits(Framing::datagram, msg.size(), 8192, 256));
  EXPECT_TRUE(fits.ok()) << reason(fits.r.error);
  Parsed big(msg, with_limits(Framing::datagram, msg.size() / 2, 8192, 256));
  EXPECT_EQ(big.r.status, ParseStatus::error);
  EXPECT_EQ(big.r.error, ParseError::message_too_large);
}

TEST(Limits, MessageTooLargeByBodyWithDefaultLimits) {
  const std::string body(70000, 'b');
  Parsed d(with_body(test::kInviteHead, body));
  EXPECT_EQ(d.r.status, ParseStatus::error);
  EXPECT_EQ(d.r.error, ParseError::message_too_large);
  Parsed s(with_body(test::kInviteHead, body), test::stream_opts());
  EXPECT_EQ(s.r.status, ParseStatus::error);
  EXPECT_EQ(s.r.error, ParseError::message_too_large);
}

TEST(Limits, StreamContentLengthPastTheLimitFailsEarly) {
  // Waiting for a 1 MB body that will be rejected anyway would only buffer an attacker's bytes.
  std::string msg = crlf(test::kInviteHead) + "Content-Length: 1000000\r\n\r\nv=0\r\n";
  Parsed s(msg, test::stream_opts());
  EXPECT_EQ(s.r.status, ParseStatus::error);
  EXPECT_EQ(s.r.error, ParseError::message_too_large);
}

TEST(Limits, StreamHeaderBlockWithoutEndFailsOncePastTheLimit) {
  std::string msg = crlf(test::kInviteHead);
  while (msg.size() < 2000) msg += "X-Filler: 0123456789012345678901234567890123456789\r\n";
  Parsed s(msg, with_limits(Framing::stream, 1024, 8192, 256));
  EXPECT_EQ(s.r.status, ParseStatus::error);
  EXPECT_EQ(s.r.error, ParseError::message_too_large);
}

TEST(Limits, HeaderLineTooLong) {
  const std::string line = "Subject: " + std::string(150, 'x');
  Parsed p(with_body(std::string(test::kInviteHead) + line + "\n", test::kSdp),
           with_limits(Framing::datagram, 65535, 100, 256));
  EXPECT_EQ(p.r.status, ParseStatus::error);
  EXPECT_EQ(p.r.error, ParseError::header_line_too_long);
  EXPECT_EQ(p.msg.call_id(), "a84b4c76e66710@pc33.atlanta.example.com");

  // Lines well under the limit pass with the same options.
  Parsed ok(test::invite(), with_limits(Framing::datagram, 65535, 100, 256));
  EXPECT_TRUE(ok.ok()) << reason(ok.r.error);
}

TEST(Limits, FoldedContinuationsCountTowardsTheLine) {
  // Each physical line is short; the logical header line is not.
  std::string head(test::kInviteHead);
  head +=
      "Subject: " + std::string(40, 'a') + "\n " + std::string(40, 'b') + "\n " + std::string(40, 'c') + "\n";
  Parsed p(with_body(head, test::kSdp), with_limits(Framing::datagram, 65535, 100, 256));
  EXPECT_EQ(p.r.status, ParseStatus::error);
  EXPECT_EQ(p.r.error, ParseError::header_line_too_long);
}

TEST(Limits, StreamLongLineWithoutEnd) {
  // No CRLF yet, but already longer than a line may be: do not wait for more.
  std::string msg = crlf(test::kInviteHead) + "Subject: " + std::string(500, 'x');
  Parsed s(msg, with_limits(Framing::stream, 65535, 200, 256));
  EXPECT_EQ(s.r.status, ParseStatus::error);
  EXPECT_EQ(s.r.error, ParseError::header_line_too_long);
}

TEST(Limits, TooManyHeaders) {
  // kInviteHead has 8 fields, with_body adds Content-Length: 9 in all.
  Parsed exact(test::invite(), with_limits(Framing::datagram, 65535, 8192, 9));
  EXPECT_TRUE(exact.ok()) << reason(exact.r.error);
  Parsed over(test::invite(), with_limits(Framing::datagram, 65535, 8192, 8));
  EXPECT_EQ(over.r.status, ParseStatus::error);
  EXPECT_EQ(over.r.error, ParseError::too_many_headers);
}

TEST(Limits, TooManyHeadersWithDefaults) {
  std::string head(test::kInviteHead);
  for (int i = 0; i < 300; ++i) head += "X-H" + std::to_string(i) + ": v\n";
  Parsed p(with_body(head));
  EXPECT_EQ(p.r.status, ParseStatus::error);
  EXPECT_EQ(p.r.error, ParseError::too_many_headers);
  // Raising the limit accepts the same message (and exercises the overflow storage).
  Parsed ok(with_body(head), with_limits(Framing::datagram, 65535, 8192, 400));
  ASSERT_TRUE(ok.ok()) << reason(ok.r.error);
  EXPECT_EQ(ok.msg.header_count(), 309);
  EXPECT_EQ(ok.msg.field(308).id, HeaderId::content_length);
  EXPECT_EQ(ok.msg.find_other("x-h299")->value, "v");
}

}  // namespace
}  // namespace duet::sip
