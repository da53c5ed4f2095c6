// Malformed messages: each gets its own ParseError, nothing crashes, and an error result still
// exposes the start line and the headers read so far (so a server can answer 400 / 505).
#include <gtest/gtest.h>

#include <cctype>
#include <string>

#include "duet/sip/error.hpp"
#include "duet/sip/message.hpp"
#include "duet/sip/values.hpp"
#include "sip_test_util.hpp"

namespace duet::sip {
namespace {

using test::crlf;
using test::Parsed;
using test::replace_line;
using test::with_body;
using test::without_line;

bool contains_icase(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    if (iequals(hay.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

TEST(Errors, EveryReasonIsAShortAsciiPhrase) {
  for (int i = 1; i < static_cast<int>(ParseError::count_); ++i) {
    const std::string_view r = reason(static_cast<ParseError>(i));
    EXPECT_FALSE(r.empty()) << i;
    EXPECT_LE(r.size(), 80u) << i;
    for (char c : r) {
      EXPECT_TRUE(c >= 0x20 && c < 0x7F) << "code " << i << " has byte " << static_cast<int>(c);
    }
  }
}

struct MissingCase {
  const char* line_prefix;
  ParseError error;
  const char* name_in_reason;
};

class MissingMandatory : public ::testing::TestWithParam<MissingCase> {};

TEST_P(MissingMandatory, ReasonNamesTheHeader) {
  const MissingCase& c = GetParam();
  Parsed p(without_line(test::invite(), c.line_prefix));
  ASSERT_NE(p.buf, test::invite()) << "the line was not removed";
  EXPECT_EQ(p.r.status, ParseStatus::error);
  EXPECT_EQ(p.r.error, c.error);
  EXPECT_TRUE(contains_icase(reason(p.r.error), c.name_in_reason))
      << '"' << reason(p.r.error) << "\" does not name " << c.name_in_reason;
  // The start line is intact and the other headers were read.
  EXPECT_EQ(p.msg.start_line(), "INVITE sip:bob@biloxi.example.com SIP/2.0");
  EXPECT_EQ(p.msg.method_id(), Method::invite);
  EXPECT_TRUE(p.msg.has(HeaderId::contact));
}

INSTANTIATE_TEST_SUITE_P(Rfc3261_8_1_1, MissingMandatory,
                         ::testing::Values(MissingCase{"Via:", ParseError::missing_via, "Via"},
                                           MissingCase{"From:", ParseError::missing_from, "From"},
                                           MissingCase{"To:", ParseError::missing_to, "To"},
                                           MissingCase{"Call-ID:", ParseError::missing_call_id, "Call-ID"},
                                           MissingCase{"CSeq:", ParseError::missing_cseq, "CSeq"},
                                           MissingCase{"Max-Forwards:", ParseError::missing_max_forwards,
                                                       "Max-Forwards"}));

TEST(Errors, ResponsesNeedNoMaxForwards) {
  Parsed p(test::ok_response());
  ASSERT_TRUE(p.ok()) << reason(p.r.error);
  EXPECT_EQ(p.msg.max_forwards(), -1);
}

TEST(Errors, ResponseMissingCallId) {
  Parsed p(without_line(test::ok_response(), "Call-ID:"));
  EXPECT_EQ(p.r.status, ParseStatus::error);
  EXPECT_EQ(p.r.error, ParseError::missing_call_id);
  EXPECT_EQ(p.msg.status_code(), 200);
}

TEST(Errors, MaxForwardsOptional) {
  ParseOptions o;
  o.require_max_forwards = false;
  Parsed p(without_line(test::invite(), "Max-Forwards:"), o);
  ASSERT_TRUE(p.ok()) << reason(p.r.error);
  EXPECT_EQ(p.msg.max_forwards(), -1);
  EXPECT_FALSE(p.msg.has(HeaderId::max_forwards));
}

TEST(Errors, MaxForwardsValues) {
  Parsed zero(replace_line(test::invite(), "Max-Forwards:", "Max-Forwards: 0"));
  ASSERT_TRUE(zero.ok()) << reason(zero.r.error);
  EXPECT_EQ(zero.msg.max_forwards(), 0);
}

TEST(Errors, BadMaxForwards) {
  for (const char* line : {"Max-Forwards: abc", "Max-Forwards: -1", "Max-Forwards: 7 0", "Max-Forwards:"}) {
    Parsed p(replace_line(test::invite(), "Max-Forwards:", line));
    EXPECT_EQ(p.r.status, ParseStatus::error) << line;
    EXPECT_EQ(p.r.error, ParseError::bad_max_forwards) << line;
  }
}

TEST(Errors, BadCallId) {
  // Call-ID = word [ "@" word ]: never empty, no embedded whitespace.
  for (const char* line : {"Call-ID:", "Call-ID:   ", "Call-ID: two words@host"}) {
    Parsed p(replace_line(test::invite(), "Call-ID:", line));
    EXPECT_EQ(p.r.status, ParseStatus::error) << line;
    EXPECT_EQ(p.r.error, ParseError::bad_call_id) << line;
  }
}

TEST(Errors, BadCSeq) {
  // CSeq = 1*DIGIT LWS Method, the number below 2**31 (§8.1.1.5).
  for (const char* line : {"CSeq: abc INVITE", "CSeq: 2147483648 INVITE", "CSeq: 4294967296 INVITE",
                           "CSeq: 99999999999999999999 INVITE", "CSeq: 314159", "CSeq: INVITE 314159",
                           "CSeq: -1 INVITE", "CSeq: 1 INVITE extra", "CSeq:"}) {
    Parsed p(replace_line(test::invite(), "CSeq:", line));
    EXPECT_EQ(p.r.status, ParseStatus::error) << line;
    EXPECT_EQ(p.r.error, ParseError::bad_cseq) << line;
    EXPECT_EQ(p.msg.call_id(), "a84b4c76e66710@pc33.atlanta.example.com") << line;
  }
}

TEST(Errors, CSeqLargestLegalNumber) {
  Parsed p(replace_line(test::invite(), "CSeq:", "CSeq: 2147483647 INVITE"));
  ASSERT_TRUE(p.ok()) << reason(p.r.error);
  EXPECT_EQ(p.msg.cseq_number(), 2147483647u);
}

TEST(Errors, CSeqMethodMismatch) {
  // §8.1.1.5: the CSeq method MUST match the request method (RFC 4475 tests this too).
  for (const char* line : {"CSeq: 314159 OPTIONS", "CSeq: 314159 invite", "CSeq: 314159 ACK"}) {
    Parsed p(replace_line(test::invite(), "CSeq:", line));
    EXPECT_EQ(p.r.status, ParseStatus::error) << line;
    EXPECT_EQ(p.r.error, ParseError::cseq_method_mismatch) << line;
  }
}

TEST(Errors, BadContentLength) {
  for (const char* line : {"Content-Length: abc", "Content-Length: -1", "Content-Length: 1 2",
                           "Content-Length: 12abc", "Content-Length:"}) {
    Parsed p(replace_line(test::invite(), "Content-Length:", line));
    EXPECT_EQ(p.r.status, ParseStatus::error) << line;
    EXPECT_EQ(p.r.error, ParseError::bad_content_length) << line;
  }
}

TEST(Errors, HugeContentLength) {
  Parsed p(replace_line(test::invite(), "Content-Length:", "Content-Length: 99999999999999999999999"));
  EXPECT_EQ(p.r.status, ParseStatus::error);
  EXPECT_TRUE(p.r.error == ParseError::bad_content_length || p.r.error == ParseError::message_too_large)
      << reason(p.r.error);
}

TEST(Errors, ConflictingContentLength) {
  std::string msg = crlf(test::kInviteHead) + "Content-Length: 10\r\nl: 20\r\n\r\n" + std::string(20, 'x');
  Parsed d(msg);
  EXPECT_EQ(d.r.status, ParseStatus::error);
  EXPECT_EQ(d.r.error, ParseError::conflicting_content_length);
  Parsed s(msg, test::stream_opts());
  EXPECT_EQ(s.r.status, ParseStatus::error);
  EXPECT_EQ(s.r.error, ParseError::conflicting_content_length);
}

TEST(Errors, NulByteInHeaderBlock) {
  std::string msg = test::invite();
  const std::size_t at = msg.find("Alice <sip:alice");
  ASSERT_NE(at, std::string::npos);
  msg[at + 2] = '\0';
  Parsed p(msg);
  EXPECT_EQ(p.r.status, ParseStatus::error);
  EXPECT_EQ(p.r.error, ParseError::nul_byte);
  // Via, Max-Forwards and To come before the damaged From line.
  EXPECT_EQ(p.msg.start_line(), "INVITE sip:bob@biloxi.example.com SIP/2.0");
  ASSERT_GE(p.msg.header_count(), 3);
  EXPECT_EQ(p.msg.field(0).id, HeaderId::via);
  EXPECT_EQ(p.msg.field(2).value, "Bob <sip:bob@biloxi.example.com>");
  EXPECT_EQ(p.msg.header(HeaderId::via), "SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds");

  Parsed s(msg, test::stream_opts());
  EXPECT_EQ(s.r.status, ParseStatus::error);
  EXPECT_EQ(s.r.error, ParseError::nul_byte);
}

TEST(Errors, NulByteInStartLine) {
  std::string msg = test::invite();
  msg[10] = '\0';
  Parsed p(msg);
  EXPECT_EQ(p.r.status, ParseStatus::error);
  EXPECT_NE(p.r.error, ParseError::none);
}

TEST(Errors, BareCrInHeaderBlock) {
  std::string msg =
      replace_line(test::invite(), "Contact:", "Contact: <sip:alice@pc33\r.atlanta.example.com>");
  Parsed p(msg);
  EXPECT_EQ(p.r.status, ParseStatus::error);
  EXPECT_EQ(p.r.error, ParseError::bare_cr);
  EXPECT_EQ(p.msg.call_id(), "a84b4c76e66710@pc33.atlanta.example.com");
  // A CR that ends the header block without its LF is also a bare CR, not an end of line.
  std::string msg2 = replace_line(test::invite(), "Contact:", "Contact: <sip:alice@pc33>\rX-After: 1");
  Parsed p2(msg2);
  EXPECT_EQ(p2.r.status, ParseStatus::error);
  EXPECT_EQ(p2.r.error, ParseError::bare_cr);
}

TEST(Errors, BadHeaderName) {
  for (const char* line : {"Bad@Name: value", ": no name", "Bad\"Name: value", "Bad(Name): value"}) {
    Parsed p(replace_line(test::invite(), "Contact:", line));
    EXPECT_EQ(p.r.status, ParseStatus::error) << line;
    EXPECT_EQ(p.r.error, ParseError::bad_header_name) << line;
    EXPECT_EQ(p.msg.header(HeaderId::cseq), "314159 INVITE") << line;
  }
}

TEST(Errors, MissingColon) {
  Parsed p(replace_line(test::invite(), "Contact:", "ThisLineHasNoColon"));
  EXPECT_EQ(p.r.status, ParseStatus::error);
  EXPECT_EQ(p.r.error, ParseError::missing_colon);
  EXPECT_EQ(p.msg.header(HeaderId::call_id), "a84b4c76e66710@pc33.atlanta.example.com");
}

TEST(Errors, ContinuationWithoutAHeader) {
  // A line starting with whitespace right after the start line continues nothing.
  std::string msg = test::invite();
  msg.insert(msg.find("\r\n") + 2, " folded-onto-nothing\r\n");
  Parsed p(msg);
  EXPECT_EQ(p.r.status, ParseStatus::error);
  EXPECT_NE(p.r.error, ParseError::none);
}

TEST(Errors, DuplicateSingletonHeaders) {
  // Call-ID, CSeq, From, To and Max-Forwards appear once (§7.3.1: only list headers may repeat).
  for (const char* dup : {"Call-ID: another@host", "CSeq: 314159 INVITE", "From: <sip:eve@example.com>;tag=2",
                          "t: <sip:bob@biloxi.example.com>", "Max-Forwards: 70"}) {
    std::string msg = test::invite();
    msg.insert(msg.find("Contact:"), std::string(dup) + "\r\n");
    Parsed p(msg);
    EXPECT_EQ(p.r.status, ParseStatus::error) << dup;
    EXPECT_EQ(p.r.error, ParseError::duplicate_header) << dup;
  }
  // List headers may repeat.
  std::string ok = test::invite();
  ok.insert(ok.find("Contact:"),
            "Contact: <sip:second@example.com>\r\nVia: SIP/2.0/UDP b.example.com;branch=z9hG4bK2\r\n");
  Parsed p(ok);
  EXPECT_TRUE(p.ok()) << reason(p.r.error);
}

TEST(Errors, TopViaFromAndToAreValidated) {
  struct Case {
    const char* prefix;
    const char* line;
    ParseError error;
  };
  const Case cases[] = {
      {"Via:", "Via: SIP/2.0/UDP", ParseError::bad_via},
      {"Via:", "Via: SIP/2.0/UDP [2001:db8::1;branch=z9hG4bK1", ParseError::bad_via},
      {"Via:", "Via: garbage", ParseError::bad_via},
      {"From:", "From: Alice <sip:alice@atlanta.example.com;tag=1928301774", ParseError::bad_from},
      {"From:", "From: <sip:@atlanta.example.com>;tag=1", ParseError::bad_from},
      {"To:", "To: \"Bob <sip:bob@biloxi.example.com>", ParseError::bad_to},
      {"To:", "To: <>", ParseError::bad_to},
  };
  for (const auto& c : cases) {
    Parsed p(replace_line(test::invite(), c.prefix, c.line));
    EXPECT_EQ(p.r.status, ParseStatus::error) << c.line;
    EXPECT_EQ(p.r.error, c.error) << c.line;
    EXPECT_EQ(p.msg.call_id(), "a84b4c76e66710@pc33.atlanta.example.com") << c.line;
  }
  // Only the topmost Via is checked by parse(); a broken lower one is the typed view's business.
  std::string lower = test::invite();
  lower.insert(lower.find("Max-Forwards:"), "Via: not a via at all\r\n");
  Parsed p(lower);
  EXPECT_TRUE(p.ok()) << reason(p.r.error);
}

TEST(Errors, GarbageNeverCrashes) {
  // Bytes that are not SIP at all, in both modes; every outcome must be need_more or error.
  const std::string samples[] = {std::string("\0\0\0\0", 4),
                                 "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
                                 "\r\n\r\n\r\nSIP/2.0\r\n\r\n",
                                 ":::::\r\n\r\n",
                                 "INVITE\r\n\r\n",
                                 std::string(300, '\xff'),
                                 "SIP/2.0 200 OK\r\n\r\n"};
  for (const auto& s : samples) {
    Message m;
    EXPECT_NE(parse(s, m).status, ParseStatus::ok) << s;
    Message m2;
    EXPECT_NE(parse(s, m2, test::stream_opts()).status, ParseStatus::ok) << s;
  }
}

}  // namespace
}  // namespace duet::sip
