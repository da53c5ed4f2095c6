// Request-Line and Status-Line (RFC 3261 §7.1, §7.2, §25.1), and leading CRLFs (§7.5).
#include <gtest/gtest.h>

#include <string>

#include "duet/sip/message.hpp"
#include "duet/sip/method.hpp"
#include "sip_test_util.hpp"

namespace duet::sip {
namespace {

using test::crlf;
using test::Parsed;
using test::with_body;

// A request whose start line is `start` and whose CSeq method is `cseq_method`.
std::string request_with(std::string_view start, std::string_view cseq_method) {
  std::string head(start);
  head +=
      "\nVia: SIP/2.0/UDP host.example.com;branch=z9hG4bKsl1\nMax-Forwards: 70\n"
      "To: <sip:bob@example.com>\nFrom: <sip:alice@example.com>;tag=f1\nCall-ID: sl1@host\n"
      "CSeq: 1 ";
  head += cseq_method;
  head += "\n";
  return with_body(head);
}

std::string response_with(std::string_view start) {
  std::string head(start);
  head +=
      "\nVia: SIP/2.0/UDP host.example.com;branch=z9hG4bKsl1\n"
      "To: <sip:bob@example.com>;tag=t1\nFrom: <sip:alice@example.com>;tag=f1\nCall-ID: sl1@host\n"
      "CSeq: 1 INVITE\n";
  return with_body(head);
}

TEST(StartLine, RequestLineFields) {
  Parsed p(test::invite());
  ASSERT_TRUE(p.ok()) << reason(p.r.error);
  EXPECT_TRUE(p.msg.is_request());
  EXPECT_FALSE(p.msg.is_response());
  EXPECT_EQ(p.msg.method(), "INVITE");
  EXPECT_EQ(p.msg.method_id(), Method::invite);
  EXPECT_EQ(p.msg.request_uri(), "sip:bob@biloxi.example.com");
  EXPECT_EQ(p.msg.version(), "SIP/2.0");
  EXPECT_EQ(p.msg.start_line(), "INVITE sip:bob@biloxi.example.com SIP/2.0");
  EXPECT_EQ(p.r.consumed, p.buf.size());
  EXPECT_EQ(p.msg.raw(), p.buf);
}

TEST(StartLine, StatusLineFields) {
  Parsed p(response_with("SIP/2.0 180 Ringing"));
  ASSERT_TRUE(p.ok()) << reason(p.r.error);
  EXPECT_TRUE(p.msg.is_response());
  EXPECT_EQ(p.msg.status_code(), 180);
  EXPECT_EQ(p.msg.reason_phrase(), "Ringing");
  EXPECT_EQ(p.msg.version(), "SIP/2.0");
  EXPECT_EQ(p.msg.start_line(), "SIP/2.0 180 Ringing");
}

TEST(StartLine, ReasonPhraseKeepsSpacesAndUtf8) {
  // Reason-Phrase = *(reserved / unreserved / escaped / UTF8-NONASCII / UTF8-CONT / SP / HTAB)
  Parsed p(response_with("SIP/2.0 486 Busy Here \xC3\xA0 l'instant"));
  ASSERT_TRUE(p.ok()) << reason(p.r.error);
  EXPECT_EQ(p.msg.status_code(), 486);
  EXPECT_EQ(p.msg.reason_phrase(), "Busy Here \xC3\xA0 l'instant");
}

TEST(StartLine, EmptyReasonPhrase) {
  Parsed p(response_with("SIP/2.0 200 "));
  ASSERT_TRUE(p.ok()) << reason(p.r.error);
  EXPECT_EQ(p.msg.status_code(), 200);
  EXPECT_EQ(p.msg.reason_phrase(), "");
}

TEST(StartLine, StatusCodeBounds) {
  for (int code : {100, 199, 200, 302, 404, 500, 606, 699}) {
    Parsed p(response_with("SIP/2.0 " + std::to_string(code) + " Whatever"));
    ASSERT_TRUE(p.ok()) << code << ": " << reason(p.r.error);
    EXPECT_EQ(p.msg.status_code(), code);
  }
}

TEST(StartLine, BadStatusCodes) {
  // Status-Code is exactly 3DIGIT; classes 1xx-6xx (§7.2, §21).
  for (const char* line : {"SIP/2.0 99 Low", "SIP/2.0 099 Low", "SIP/2.0 1000 High", "SIP/2.0 2x0 OK",
                           "SIP/2.0 OK", "SIP/2.0 -20 Negative", "SIP/2.0 4294967496 Wrap"}) {
    Parsed p(response_with(line));
    EXPECT_EQ(p.r.status, ParseStatus::error) << line;
    EXPECT_EQ(p.r.error, ParseError::bad_status_code) << line;
  }
}

TEST(StartLine, EveryKnownMethodToken) {
  struct Case {
    const char* text;
    Method id;
  };
  const Case cases[] = {{"INVITE", Method::invite},
                        {"ACK", Method::ack},
                        {"BYE", Method::bye},
                        {"CANCEL", Method::cancel},
                        {"REGISTER", Method::register_},
                        {"OPTIONS", Method::options},
                        {"INFO", Method::info},
                        {"PRACK", Method::prack},
                        {"UPDATE", Method::update},
                        {"SUBSCRIBE", Method::subscribe},
                        {"NOTIFY", Method::notify},
                        {"PUBLISH", Method::publish},
                        {"MESSAGE", Method::message},
                        {"REFER", Method::refer}};
  for (const auto& c : cases) {
    EXPECT_EQ(method_from_token(c.text), c.id) << c.text;
    EXPECT_EQ(method_name(c.id), c.text);
    std::string start = std::string(c.text) + " sip:bob@example.com SIP/2.0";
    Parsed p(request_with(start, c.text));
    ASSERT_TRUE(p.ok()) << c.text << ": " << reason(p.r.error);
    EXPECT_EQ(p.msg.method_id(), c.id);
    EXPECT_EQ(p.msg.method(), c.text);
  }
}

TEST(StartLine, MethodsAreCaseSensitive) {
  // §7.1: "the method names are case-sensitive"; "invite" is an extension method.
  EXPECT_EQ(method_from_token("invite"), Method::unknown);
  EXPECT_EQ(method_from_token("Invite"), Method::unknown);
  EXPECT_EQ(method_from_token("INVITEX"), Method::unknown);
  EXPECT_EQ(method_from_token(""), Method::unknown);
  Parsed p(request_with("invite sip:bob@example.com SIP/2.0", "invite"));
  ASSERT_TRUE(p.ok()) << reason(p.r.error);
  EXPECT_EQ(p.msg.method_id(), Method::unknown);
  EXPECT_EQ(p.msg.method(), "invite");
}

TEST(StartLine, UnknownExtensionMethodIsLegal) {
  // §27.4 / extension-method = token; RFC 4475-style odd but legal token characters.
  Parsed p(
      request_with("NEW.FANGLED-method!%*_+`'~ sip:bob@example.com SIP/2.0", "NEW.FANGLED-method!%*_+`'~"));
  ASSERT_TRUE(p.ok()) << reason(p.r.error);
  EXPECT_EQ(p.msg.method_id(), Method::unknown);
  EXPECT_EQ(p.msg.method(), "NEW.FANGLED-method!%*_+`'~");
  EXPECT_EQ(p.msg.cseq_method(), "NEW.FANGLED-method!%*_+`'~");
}

TEST(StartLine, MethodWithNonTokenCharacter) {
  Parsed p(request_with("IN<VITE sip:bob@example.com SIP/2.0", "IN<VITE"));
  EXPECT_EQ(p.r.status, ParseStatus::error);
  EXPECT_EQ(p.r.error, ParseError::bad_method);
}

TEST(StartLine, VersionIsCaseInsensitive) {
  // §7.1: "The SIP-Version string is case-insensitive, but implementations MUST send upper-case."
  Parsed req(request_with("OPTIONS sip:bob@example.com sip/2.0", "OPTIONS"));
  ASSERT_TRUE(req.ok()) << reason(req.r.error);
  EXPECT_EQ(req.msg.version(), "sip/2.0");
  Parsed resp(response_with("Sip/2.0 200 OK"));
  ASSERT_TRUE(resp.ok()) << reason(resp.r.error);
  EXPECT_EQ(resp.msg.status_code(), 200);
}

TEST(StartLine, UnsupportedVersionIsNotMalformed) {
  // A well-formed SIP/x.y other than 2.0 gets 505, not 400 (§8.2.2 / §21.5.7).
  for (const char* v : {"SIP/7.0", "SIP/3.0", "SIP/2.1", "SIP/1.0"}) {
    Parsed req(request_with(std::string("INVITE sip:bob@example.com ") + v, "INVITE"));
    EXPECT_EQ(req.r.status, ParseStatus::error) << v;
    EXPECT_EQ(req.r.error, ParseError::unsupported_version) << v;
    // The start line is still exposed so the server can answer 505.
    EXPECT_EQ(req.msg.method(), "INVITE") << v;
  }
  Parsed resp(response_with("SIP/7.0 200 OK"));
  EXPECT_EQ(resp.r.status, ParseStatus::error);
  EXPECT_EQ(resp.r.error, ParseError::unsupported_version);
}

TEST(StartLine, MalformedVersion) {
  for (const char* v : {"SIP/2", "SIP/", "SIP/2.", "SIP/x.y", "SIP2.0", "SIP/.0"}) {
    Parsed req(request_with(std::string("INVITE sip:bob@example.com ") + v, "INVITE"));
    EXPECT_EQ(req.r.status, ParseStatus::error) << v;
    EXPECT_EQ(req.r.error, ParseError::bad_version) << v;
  }
}

TEST(StartLine, BadRequestUri) {
  Parsed p(request_with("INVITE no-scheme-here SIP/2.0", "INVITE"));
  EXPECT_EQ(p.r.status, ParseStatus::error);
  EXPECT_EQ(p.r.error, ParseError::bad_request_uri);
}

TEST(StartLine, ElementsSeparatedByExactlyOneSpace) {
  // Request-Line = Method SP Request-URI SP SIP-Version CRLF: extra SP, missing parts and LWS
  // inside the Request-URI are all malformed.
  for (const char* line :
       {"INVITE  sip:bob@example.com SIP/2.0", "INVITE sip:bob@example.com  SIP/2.0",
        "INVITE sip:bob@example.com", "INVITE SIP/2.0", "INVITE sip:bob @example.com SIP/2.0",
        " INVITE sip:bob@example.com SIP/2.0", "INVITE\tsip:bob@example.com SIP/2.0"}) {
    Parsed p(request_with(line, "INVITE"));
    EXPECT_EQ(p.r.status, ParseStatus::error) << '"' << line << '"';
    EXPECT_NE(p.r.error, ParseError::none) << line;
  }
}

TEST(StartLine, EmptyInputIsNotAMessage) {
  Message m;
  auto r = parse("", m);
  EXPECT_NE(r.status, ParseStatus::ok);
  r = parse("\r\n", m);
  EXPECT_NE(r.status, ParseStatus::ok);
}

TEST(StartLine, LeadingCrlfsAreSkipped) {
  // §7.5: implementations should ignore CRLFs before the start line (stream keepalives).
  const std::string msg = test::invite();
  Parsed p("\r\n\r\n\r\n" + msg);
  ASSERT_TRUE(p.ok()) << reason(p.r.error);
  EXPECT_EQ(p.r.consumed, msg.size() + 6);
  EXPECT_EQ(p.msg.raw(), msg);
  EXPECT_EQ(p.msg.start_line(), "INVITE sip:bob@biloxi.example.com SIP/2.0");
  // Offsets are relative to raw(), which starts at the start line.
  const HeaderField* via = p.msg.find(HeaderId::via);
  ASSERT_NE(via, nullptr);
  EXPECT_EQ(p.msg.raw().substr(via->line_begin, 4), "Via:");

  Parsed s("\r\n\r\n" + msg, test::stream_opts());
  ASSERT_TRUE(s.ok()) << reason(s.r.error);
  EXPECT_EQ(s.r.consumed, msg.size() + 4);
}

TEST(StartLine, RequestUriForms) {
  // RFC 5118 §4.1 (IPv6 reference), RFC 3966 tel, sips, and an escaped user part.
  for (const char* uri : {"sip:[2001:db8::10]:5070", "sips:bob@[2001:db8::10];transport=tls",
                          "tel:+1-201-555-0123", "sip:%61lice@atlanta.example.com;user=phone?subject=x"}) {
    Parsed p(request_with(std::string("MESSAGE ") + uri + " SIP/2.0", "MESSAGE"));
    ASSERT_TRUE(p.ok()) << uri << ": " << reason(p.r.error);
    EXPECT_EQ(p.msg.request_uri(), uri);
  }
}

TEST(StartLine, ResponseToUnknownMethod) {
  // A response's CSeq names any method; there is no request method to compare it with.
  std::string head =
      "SIP/2.0 501 Not Implemented\nVia: SIP/2.0/UDP h;branch=z9hG4bKu1\nTo: <sip:b@h>;tag=2\n"
      "From: <sip:a@h>;tag=1\nCall-ID: u1\nCSeq: 7 FOOBAR\n";
  Parsed p(with_body(head));
  ASSERT_TRUE(p.ok()) << reason(p.r.error);
  EXPECT_EQ(p.msg.cseq_method(), "FOOBAR");
  EXPECT_EQ(p.msg.cseq_number(), 7u);
}

}  // namespace
}  // namespace duet::sip
