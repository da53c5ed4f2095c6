// name-addr / addr-spec with header params: From, To, Contact, Route... (RFC 3261 §20.10, §20.20,
// §20.39, §25.1; RFC 5626 +sip.instance / reg-id; RFC 3840 methods).
#include <gtest/gtest.h>

#include <string>

#include "duet/sip/name_addr.hpp"
#include "duet/sip/params.hpp"

namespace duet::sip {
namespace {

TEST(NameAddr, QuotedDisplayNameWithEscapes) {
  NameAddr na;
  ASSERT_TRUE(parse_name_addr("\"Bob \\\"the man\\\" Smith\" <sip:bob@biloxi.com>;tag=a48s", na));
  EXPECT_EQ(na.display_name, "\"Bob \\\"the man\\\" Smith\"");
  EXPECT_EQ(na.display_name_unquoted(), "Bob \\\"the man\\\" Smith");
  EXPECT_TRUE(na.angle_brackets);
  EXPECT_EQ(na.uri_text, "sip:bob@biloxi.com");
  EXPECT_TRUE(na.uri_parsed);
  EXPECT_EQ(na.uri.user, "bob");
  EXPECT_EQ(na.uri.host, "biloxi.com");
  EXPECT_EQ(na.tag, "a48s");
  EXPECT_EQ(na.params, ";tag=a48s");
  EXPECT_FALSE(na.star);
}

TEST(NameAddr, QuotedDisplayNameWithCommaSemicolonAndAngle) {
  NameAddr na;
  ASSERT_TRUE(parse_name_addr("\"Doe, John; <CEO>\" <sip:john@example.com>", na));
  EXPECT_EQ(na.display_name_unquoted(), "Doe, John; <CEO>");
  EXPECT_EQ(na.uri_text, "sip:john@example.com");
  EXPECT_EQ(na.params, "");
  EXPECT_EQ(na.tag, "");
}

TEST(NameAddr, EmptyQuotedDisplayName) {
  NameAddr na;
  ASSERT_TRUE(parse_name_addr("\"\" <sip:anonymous@anonymous.invalid>;tag=1", na));
  EXPECT_EQ(na.display_name, "\"\"");
  EXPECT_EQ(na.display_name_unquoted(), "");
  EXPECT_EQ(na.uri.host, "anonymous.invalid");
}

TEST(NameAddr, TokenDisplayName) {
  NameAddr na;
  ASSERT_TRUE(parse_name_addr("Bob Smith <sip:bob@biloxi.com>", na));
  EXPECT_EQ(na.display_name, "Bob Smith");
  EXPECT_EQ(na.display_name_unquoted(), "Bob Smith");
  EXPECT_EQ(na.uri_text, "sip:bob@biloxi.com");
  NameAddr tight;
  ASSERT_TRUE(parse_name_addr("Alice<sip:alice@atlanta.com>", tight));
  EXPECT_EQ(tight.display_name, "Alice");
  NameAddr quoted_tight;
  ASSERT_TRUE(parse_name_addr("\"Alice\"<sip:alice@atlanta.com>", quoted_tight));
  EXPECT_EQ(quoted_tight.display_name_unquoted(), "Alice");
}

TEST(NameAddr, NoDisplayName) {
  NameAddr na;
  ASSERT_TRUE(parse_name_addr("<sip:bob@biloxi.com>;tag=x", na));
  EXPECT_EQ(na.display_name, "");
  EXPECT_TRUE(na.angle_brackets);
  EXPECT_EQ(na.tag, "x");
}

TEST(NameAddr, AddrSpecParamsBelongToTheHeader) {
  // §20.10: without <>, params after the URI are header parameters, not URI parameters.
  NameAddr na;
  ASSERT_TRUE(parse_name_addr("sip:bob@biloxi.com;transport=tcp;tag=1928301774", na));
  EXPECT_FALSE(na.angle_brackets);
  EXPECT_EQ(na.uri_text, "sip:bob@biloxi.com");
  EXPECT_EQ(na.uri.transport, "");
  EXPECT_EQ(na.uri.params, "");
  EXPECT_EQ(na.tag, "1928301774");
  EXPECT_EQ(na.params, ";transport=tcp;tag=1928301774");
  Param p;
  EXPECT_TRUE(find_param(na.params, "transport", p));
}

TEST(NameAddr, NameAddrParamsInsideBracketsBelongToTheUri) {
  NameAddr na;
  ASSERT_TRUE(parse_name_addr("<sip:bob@biloxi.com;transport=tcp;lr>;tag=1;x-hdr=2", na));
  EXPECT_EQ(na.uri_text, "sip:bob@biloxi.com;transport=tcp;lr");
  EXPECT_EQ(na.uri.transport, "tcp");
  EXPECT_TRUE(na.uri.lr);
  EXPECT_EQ(na.tag, "1");
  EXPECT_EQ(na.params, ";tag=1;x-hdr=2");
  Param p;
  EXPECT_FALSE(find_param(na.params, "transport", p));
}

TEST(NameAddr, OutboundContactParams) {
  // RFC 5626 §4.2 REGISTER Contact.
  NameAddr na;
  ASSERT_TRUE(
      parse_name_addr("<sip:line1@192.0.2.2;transport=tcp;ob>;reg-id=1;+sip.instance=\"<urn:uuid:00000000-"
                      "0000-1000-8000-000A95A0E128>\""
                      ";expires=3600;q=0.7;methods=\"INVITE,BYE,OPTIONS\"",
                      na));
  EXPECT_TRUE(na.uri.ob);
  EXPECT_EQ(na.uri.transport, "tcp");
  EXPECT_TRUE(na.has_reg_id);
  EXPECT_EQ(na.reg_id, "1");
  EXPECT_TRUE(na.has_instance);
  EXPECT_EQ(na.instance, "<urn:uuid:00000000-0000-1000-8000-000A95A0E128>");
  EXPECT_TRUE(na.has_expires);
  EXPECT_EQ(na.expires, "3600");
  EXPECT_TRUE(na.has_q);
  EXPECT_EQ(na.q, "0.7");
  EXPECT_EQ(na.q_value(), 700);
  EXPECT_EQ(na.methods, "INVITE,BYE,OPTIONS");
  EXPECT_EQ(na.tag, "");
}

TEST(NameAddr, AbsentParams) {
  NameAddr na;
  ASSERT_TRUE(parse_name_addr("<sip:bob@biloxi.com>", na));
  EXPECT_FALSE(na.has_expires);
  EXPECT_FALSE(na.has_q);
  EXPECT_FALSE(na.has_instance);
  EXPECT_FALSE(na.has_reg_id);
  EXPECT_EQ(na.q_value(), 1000);
  EXPECT_EQ(na.params, "");
}

TEST(NameAddr, ParamNamesCaseInsensitiveAndLws) {
  NameAddr na;
  ASSERT_TRUE(parse_name_addr("<sip:bob@biloxi.com> ; TAG = 88 ;\r\n Expires=0", na));
  EXPECT_EQ(na.tag, "88");
  EXPECT_TRUE(na.has_expires);
  EXPECT_EQ(na.expires, "0");
}

TEST(NameAddr, QValues) {
  // qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
  const std::pair<const char*, int> cases[] = {{"1", 1000},    {"1.0", 1000}, {"1.000", 1000}, {"0", 0},
                                               {"0.", 0},      {"0.5", 500},  {"0.05", 50},    {"0.001", 1},
                                               {"0.999", 999}, {"2", -1},     {"1.5", -1},     {"0.1234", -1},
                                               {"abc", -1},    {"-0.5", -1},  {"1.001", -1},   {"", -1}};
  for (const auto& [text, value] : cases) {
    NameAddr na;
    const std::string v = std::string("<sip:a@b.com>;q=") + text;
    if (!parse_name_addr(v, na)) {
      EXPECT_EQ(value, -1) << v << " rejected by parse_name_addr";
      continue;
    }
    EXPECT_EQ(na.q_value(), value) << v;
  }
}

TEST(NameAddr, ContactStar) {
  NameAddr na;
  ASSERT_TRUE(parse_name_addr("*", na));
  EXPECT_TRUE(na.star);
  EXPECT_FALSE(na.uri_parsed);
}

TEST(NameAddr, TelAndOtherSchemes) {
  NameAddr tel;
  ASSERT_TRUE(parse_name_addr("<tel:+1-201-555-0123>;tag=t", tel));
  EXPECT_EQ(tel.uri.scheme, UriScheme::tel);
  EXPECT_EQ(tel.uri.user, "+1-201-555-0123");
  NameAddr ipv6;
  ASSERT_TRUE(parse_name_addr("\"v6\" <sip:alice@[2001:db8::10]:5070>;tag=6", ipv6));
  EXPECT_EQ(ipv6.uri.host, "[2001:db8::10]");
  EXPECT_EQ(ipv6.uri.port, 5070);
  EXPECT_EQ(ipv6.tag, "6");
}

TEST(NameAddr, WantUri) {
  NameAddr lazy;
  ASSERT_TRUE(parse_name_addr("\"Broken\" <sip:@nobody>;tag=1", lazy, false));
  EXPECT_FALSE(lazy.uri_parsed);
  EXPECT_EQ(lazy.uri_text, "sip:@nobody");
  EXPECT_EQ(lazy.tag, "1");
  NameAddr strict;
  EXPECT_FALSE(parse_name_addr("\"Broken\" <sip:@nobody>;tag=1", strict, true));
}

TEST(NameAddr, ReceivedParam) {
  NameAddr na;
  ASSERT_TRUE(parse_name_addr("<sip:alice@10.0.0.5:5060>;received=\"sip:203.0.113.7:61000\";expires=60", na));
  EXPECT_EQ(na.received, "sip:203.0.113.7:61000");
  EXPECT_EQ(na.expires, "60");
}

TEST(NameAddr, Invalid) {
  for (const char* text : {"", "<sip:bob@biloxi.com", "\"unterminated <sip:bob@biloxi.com>",
                           "<sip:bob@biloxi.com>>", "Bob Smith", "<>", "<sip:bob@biloxi.com>;tag=\"open",
                           "<sip:bob@biloxi.com> junk", "<sip:bob@biloxi.com>;=x"}) {
    NameAddr na;
    EXPECT_FALSE(parse_name_addr(text, na)) << '"' << text << '"';
  }
}

}  // namespace
}  // namespace duet::sip
