// Comma-separated lists, token lists, numbers and CSeq (RFC 3261 §7.3.1, §25.1).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "duet/sip/values.hpp"
#include "sip_test_util.hpp"

namespace duet::sip {
namespace {

std::vector<std::string> split(std::string_view v, bool* ok = nullptr) {
  ValueSplitter s(v);
  std::vector<std::string> out;
  std::string_view e;
  for (int guard = 0; guard < 100 && s.next(e); ++guard) out.emplace_back(e);
  if (ok) *ok = s.ok();
  return out;
}

using Strings = std::vector<std::string>;

TEST(ValueSplitter, PlainList) {
  bool ok = false;
  EXPECT_EQ(split("INVITE, ACK ,BYE,\tCANCEL", &ok), (Strings{"INVITE", "ACK", "BYE", "CANCEL"}));
  EXPECT_TRUE(ok);
}

TEST(ValueSplitter, EmptyElementsSkipped) {
  EXPECT_EQ(split(",,a,, ,b,"), (Strings{"a", "b"}));
  EXPECT_EQ(split(""), Strings{});
  EXPECT_EQ(split(" , , "), Strings{});
}

TEST(ValueSplitter, CommasInsideAngleBrackets) {
  // A URI may hold commas in its user part or headers.
  EXPECT_EQ(split("<sip:a,b@example.com;lr>;tag=1, <sip:c@example.com?x=1,2>"),
            (Strings{"<sip:a,b@example.com;lr>;tag=1", "<sip:c@example.com?x=1,2>"}));
}

TEST(ValueSplitter, CommasInsideQuotes) {
  EXPECT_EQ(split("\"Doe, John\" <sip:john@example.com>, \"Roe, Jane\" <sip:jane@example.com>;q=0.5"),
            (Strings{"\"Doe, John\" <sip:john@example.com>", "\"Roe, Jane\" <sip:jane@example.com>;q=0.5"}));
  // Quoted params too (e.g. methods="INVITE,BYE").
  EXPECT_EQ(split("<sip:a@x>;methods=\"INVITE,BYE\", <sip:b@x>"),
            (Strings{"<sip:a@x>;methods=\"INVITE,BYE\"", "<sip:b@x>"}));
}

TEST(ValueSplitter, EscapedQuotesInsideQuotes) {
  // quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F): \" does not end the string, \\ does not escape it.
  EXPECT_EQ(split("\"A \\\"quoted, name\\\"\" <sip:a@x>, <sip:b@x>"),
            (Strings{"\"A \\\"quoted, name\\\"\" <sip:a@x>", "<sip:b@x>"}));
  EXPECT_EQ(split("\"ends in backslash\\\\\" <sip:a@x>, <sip:b@x>"),
            (Strings{"\"ends in backslash\\\\\" <sip:a@x>", "<sip:b@x>"}));
  // A '<' inside a quoted string opens nothing.
  EXPECT_EQ(split("\"less < than\" <sip:a@x>, <sip:b@x>"),
            (Strings{"\"less < than\" <sip:a@x>", "<sip:b@x>"}));
}

TEST(ValueSplitter, UnterminatedQuote) {
  bool ok = true;
  const auto parts = split("<sip:a@x>, \"never closed, <sip:b@x>", &ok);
  EXPECT_FALSE(ok);
  ASSERT_FALSE(parts.empty());
  EXPECT_EQ(parts.front(), "<sip:a@x>");
  EXPECT_EQ(parts.back(), "\"never closed, <sip:b@x>");
}

TEST(ValueSplitter, UnterminatedAngleBracket) {
  bool ok = true;
  const auto parts = split("<sip:b@x>, <sip:a@x, sip:b@x", &ok);
  EXPECT_FALSE(ok);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0], "<sip:b@x>");
  EXPECT_EQ(parts[1], "<sip:a@x, sip:b@x");
}

TEST(ValueSplitter, FoldedWhitespaceIsTrimmed) {
  EXPECT_EQ(split("SIP/2.0/UDP a;branch=z9hG4bK1,\r\n SIP/2.0/UDP b;branch=z9hG4bK2\r\n\t"),
            (Strings{"SIP/2.0/UDP a;branch=z9hG4bK1", "SIP/2.0/UDP b;branch=z9hG4bK2"}));
}

TEST(ForEachValue, AcrossFieldsInOrderAndStopsEarly) {
  const std::string head = std::string(test::kInviteHead) +
                           "Route: <sip:p1.example.com;lr>, \"Proxy, Two\" <sip:p2.example.com;lr>\n"
                           "Subject: x\n"
                           "Route: <sip:p3.example.com;lr>\n";
  test::Parsed p(test::with_body(head));
  ASSERT_TRUE(p.ok()) << reason(p.r.error);
  Strings all;
  EXPECT_TRUE(for_each_value(p.msg, HeaderId::route, [&](std::string_view v) {
    all.emplace_back(v);
    return true;
  }));
  EXPECT_EQ(all, (Strings{"<sip:p1.example.com;lr>", "\"Proxy, Two\" <sip:p2.example.com;lr>",
                          "<sip:p3.example.com;lr>"}));
  int seen = 0;
  EXPECT_TRUE(for_each_value(p.msg, HeaderId::route, [&](std::string_view) { return ++seen < 2; }));
  EXPECT_EQ(seen, 2);
  int none = 0;
  EXPECT_TRUE(for_each_value(p.msg, HeaderId::record_route, [&](std::string_view) { return ++none > 0; }));
  EXPECT_EQ(none, 0);
}

TEST(ForEachValue, MalformedValueReported) {
  const std::string head = std::string(test::kInviteHead) + "Route: <sip:p1.example.com;lr\n";
  test::Parsed p(test::with_body(head));
  ASSERT_TRUE(p.ok()) << "parse() does not look inside Route: " << reason(p.r.error);
  EXPECT_FALSE(for_each_value(p.msg, HeaderId::route, [](std::string_view) { return true; }));
}

TEST(Lws, TrimAndClassify) {
  EXPECT_EQ(trim_lws("\r\n \tabc def \r\n\t "), "abc def");
  EXPECT_EQ(trim_lws("   "), "");
  EXPECT_EQ(trim_lws(""), "");
  EXPECT_TRUE(is_lws(' '));
  EXPECT_TRUE(is_lws('\t'));
  EXPECT_TRUE(is_lws('\r'));
  EXPECT_TRUE(is_lws('\n'));
  EXPECT_FALSE(is_lws('a'));
  EXPECT_FALSE(is_lws('\0'));
}

TEST(Token, Characters) {
  // token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
  EXPECT_TRUE(is_token("INVITE"));
  EXPECT_TRUE(is_token("a.b-c!%*_+`'~9"));
  EXPECT_FALSE(is_token(""));
  EXPECT_FALSE(is_token("a b"));
  for (char c : std::string("()<>@,;:\\\"/[]?={} \t\r\n")) {
    EXPECT_FALSE(is_token_char(c)) << static_cast<int>(c);
  }
  EXPECT_FALSE(is_token_char('\x80'));
  EXPECT_FALSE(is_token_char('\0'));
}

TEST(Iequals, AsciiOnly) {
  EXPECT_TRUE(iequals("Call-ID", "call-id"));
  EXPECT_TRUE(iequals("", ""));
  EXPECT_FALSE(iequals("Call-ID", "Call-IDs"));
  EXPECT_FALSE(iequals("a", "b"));
  EXPECT_FALSE(iequals("[", "{"));  // 0x5B vs 0x7B differ only in the case bit but are not letters
}

TEST(ParseUint32, Valid) {
  std::uint32_t v = 99;
  EXPECT_TRUE(parse_uint32("0", v));
  EXPECT_EQ(v, 0u);
  EXPECT_TRUE(parse_uint32("4294967295", v));
  EXPECT_EQ(v, 4294967295u);
  EXPECT_TRUE(parse_uint32(" \t42\r\n ", v));
  EXPECT_EQ(v, 42u);
  EXPECT_TRUE(parse_uint32("007", v));
  EXPECT_EQ(v, 7u);
  EXPECT_TRUE(parse_uint32("000000000000000000000000000001", v));
  EXPECT_EQ(v, 1u);
  EXPECT_TRUE(parse_uint32("255", v, 255));
  EXPECT_EQ(v, 255u);
}

TEST(ParseUint32, Invalid) {
  std::uint32_t v = 0;
  for (const char* s : {"", " ", "4294967296", "99999999999", "+1", "-1", "12a", "4 2", "0x10", "1.0"}) {
    EXPECT_FALSE(parse_uint32(s, v)) << '"' << s << '"';
  }
  EXPECT_FALSE(parse_uint32("256", v, 255));
  EXPECT_FALSE(parse_uint32("65536", v, 65535));
}

TEST(ParseCSeq, Valid) {
  CSeq c;
  ASSERT_TRUE(parse_cseq("4711 INVITE", c));
  EXPECT_EQ(c.number, 4711u);
  EXPECT_EQ(c.method, "INVITE");
  EXPECT_EQ(c.method_id, Method::invite);
  ASSERT_TRUE(parse_cseq("0 ACK", c));
  EXPECT_EQ(c.number, 0u);
  EXPECT_EQ(c.method_id, Method::ack);
  ASSERT_TRUE(parse_cseq("2147483647\tREGISTER", c));
  EXPECT_EQ(c.number, 2147483647u);
  EXPECT_EQ(c.method_id, Method::register_);
  ASSERT_TRUE(parse_cseq("12\r\n  FOO.BAR", c));
  EXPECT_EQ(c.number, 12u);
  EXPECT_EQ(c.method, "FOO.BAR");
  EXPECT_EQ(c.method_id, Method::unknown);
}

TEST(ParseCSeq, Invalid) {
  CSeq c;
  for (const char* s : {"", "INVITE", "1", "1 ", "abc INVITE", "2147483648 INVITE", "-1 INVITE", "1 INV@ITE",
                        "1 INVITE BYE", "1INVITE", "1.5 INVITE"}) {
    EXPECT_FALSE(parse_cseq(s, c)) << '"' << s << '"';
  }
}

TEST(TokenList, Contains) {
  EXPECT_TRUE(token_list_contains("path, outbound, replaces", "outbound"));
  EXPECT_TRUE(token_list_contains("path, outbound, replaces", "OUTBOUND"));
  EXPECT_TRUE(token_list_contains("path,outbound,replaces", "replaces"));
  EXPECT_TRUE(token_list_contains("100rel", "100rel"));
  EXPECT_TRUE(token_list_contains("timer,\r\n 100rel", "100rel"));
  EXPECT_FALSE(token_list_contains("path, outbound", "out"));
  EXPECT_FALSE(token_list_contains("path, outbound", "outbounds"));
  EXPECT_FALSE(token_list_contains("", "path"));
  EXPECT_FALSE(token_list_contains("gruu", ""));
}

}  // namespace
}  // namespace duet::sip
