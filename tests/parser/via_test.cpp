// Via (RFC 3261 §20.42, §18.2.1, §25.1 via-parm; RFC 3581 rport; RFC 5118 IPv6).
#include <gtest/gtest.h>

#include <string>

#include "duet/sip/params.hpp"
#include "duet/sip/via.hpp"

namespace duet::sip {
namespace {

TEST(Via, Rfc3261Example) {
  Via v;
  ASSERT_TRUE(parse_via("SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds", v));
  EXPECT_EQ(v.protocol_name, "SIP");
  EXPECT_EQ(v.protocol_version, "2.0");
  EXPECT_EQ(v.transport, "UDP");
  EXPECT_EQ(v.host, "pc33.atlanta.com");
  EXPECT_FALSE(v.has_port);
  EXPECT_EQ(v.port, 0);
  EXPECT_TRUE(v.has_branch);
  EXPECT_EQ(v.branch, "z9hG4bK776asdhds");
  EXPECT_TRUE(v.rfc3261_branch());
  EXPECT_FALSE(v.has_rport);
  EXPECT_FALSE(v.has_received);
  EXPECT_FALSE(v.has_maddr);
  EXPECT_FALSE(v.has_ttl);
  EXPECT_EQ(v.params, ";branch=z9hG4bK776asdhds");
  EXPECT_EQ(v.text, "SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds");
}

TEST(Via, PortAndTransports) {
  const std::pair<const char*, const char*> cases[] = {
      {"SIP/2.0/TCP client.biloxi.com:5060;branch=z9hG4bK1", "TCP"},
      {"SIP/2.0/TLS 192.0.2.9:5061;branch=z9hG4bK1", "TLS"},
      {"SIP/2.0/SCTP h.example.com:5060;branch=z9hG4bK1", "SCTP"},
      {"SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK1", "WSS"},
      {"SIP/2.0/x-newtransport h.example.com;branch=z9hG4bK1", "x-newtransport"}};
  for (const auto& [text, transport] : cases) {
    Via v;
    ASSERT_TRUE(parse_via(text, v)) << text;
    EXPECT_EQ(v.transport, transport);
    EXPECT_TRUE(v.transport_is(transport));
  }
  Via v;
  ASSERT_TRUE(parse_via("SIP/2.0/TCP client.biloxi.com:5070;branch=z9hG4bK1", v));
  EXPECT_TRUE(v.has_port);
  EXPECT_EQ(v.port, 5070);
  EXPECT_EQ(v.host, "client.biloxi.com");
}

TEST(Via, TransportComparedCaseInsensitively) {
  Via v;
  ASSERT_TRUE(parse_via("SIP/2.0/tls h.example.com;branch=z9hG4bK1", v));
  EXPECT_EQ(v.transport, "tls");
  EXPECT_TRUE(v.transport_is("TLS"));
  EXPECT_TRUE(v.transport_is("tls"));
  EXPECT_FALSE(v.transport_is("TCP"));
  EXPECT_FALSE(v.transport_is("TL"));
}

TEST(Via, LwsInsideSentProtocolAndParams) {
  // SLASH = SWS "/" SWS, LWS before sent-by, SEMI and EQUAL allow SWS; folding is LWS.
  Via v;
  ASSERT_TRUE(parse_via("SIP  /   2.0\r\n /UDP\r\n    192.0.2.2:5062 ;  rport ; branch =\tz9hG4bKws", v));
  EXPECT_EQ(v.protocol_name, "SIP");
  EXPECT_EQ(v.protocol_version, "2.0");
  EXPECT_EQ(v.transport, "UDP");
  EXPECT_EQ(v.host, "192.0.2.2");
  EXPECT_EQ(v.port, 5062);
  EXPECT_TRUE(v.has_rport);
  EXPECT_EQ(v.branch, "z9hG4bKws");
}

TEST(Via, IPv6SentBy) {
  // RFC 5118 §4.4-4.5 style.
  Via v;
  ASSERT_TRUE(
      parse_via("SIP/2.0/UDP [2001:db8::9:1]:5070;branch=z9hG4bKas3-111;received=2001:db8::9:255", v));
  EXPECT_EQ(v.host, "[2001:db8::9:1]");
  EXPECT_TRUE(v.has_port);
  EXPECT_EQ(v.port, 5070);
  EXPECT_TRUE(v.has_received);
  EXPECT_EQ(v.received, "2001:db8::9:255");
  Via w;
  ASSERT_TRUE(parse_via("SIP/2.0/TCP [::1];branch=z9hG4bK2", w));
  EXPECT_EQ(w.host, "[::1]");
  EXPECT_FALSE(w.has_port);
  Via x;
  ASSERT_TRUE(parse_via("SIP/2.0/UDP [2001:db8::9:1];received=[2001:db8::9:255];branch=z9hG4bK3", x));
  EXPECT_EQ(x.received, "[2001:db8::9:255]");
}

TEST(Via, RportWithAndWithoutValue) {
  // RFC 3581 §4: the client adds ";rport" with no value; the server fills it.
  Via a;
  ASSERT_TRUE(parse_via("SIP/2.0/UDP 10.1.1.1:4540;rport;branch=z9hG4bKkjshdyff", a));
  EXPECT_TRUE(a.has_rport);
  EXPECT_EQ(a.rport, 0u);
  Via b;
  ASSERT_TRUE(parse_via("SIP/2.0/UDP 10.1.1.1:4540;received=192.0.2.1;rport=9988;branch=z9hG4bKkjshdyff", b));
  EXPECT_TRUE(b.has_rport);
  EXPECT_EQ(b.rport, 9988u);
  EXPECT_TRUE(b.has_received);
  EXPECT_EQ(b.received, "192.0.2.1");
  EXPECT_EQ(b.port, 4540);
  Via c;
  ASSERT_TRUE(parse_via("SIP/2.0/UDP 10.1.1.1;branch=z9hG4bKkjshdyff;rport", c));
  EXPECT_TRUE(c.has_rport);
  EXPECT_EQ(c.branch, "z9hG4bKkjshdyff");
}

TEST(Via, MaddrTtlAndOtherParams) {
  Via v;
  ASSERT_TRUE(parse_via(
      "SIP/2.0/UDP "
      "sender.example.com;maddr=224.2.0.1;ttl=16;received=192.0.2.1;x-extension=\"a;b\";branch=z9hG4bKmc;"
      "comp=sigcomp",
      v));
  EXPECT_TRUE(v.has_maddr);
  EXPECT_EQ(v.maddr, "224.2.0.1");
  EXPECT_TRUE(v.has_ttl);
  EXPECT_EQ(v.ttl, "16");
  EXPECT_EQ(v.received, "192.0.2.1");
  EXPECT_EQ(v.branch, "z9hG4bKmc");
  Param p;
  ASSERT_TRUE(find_param(v.params, "x-extension", p));
  EXPECT_EQ(p.value, "a;b");
  ASSERT_TRUE(find_param(v.params, "comp", p));
  EXPECT_EQ(p.value, "sigcomp");
  EXPECT_EQ(v.params.substr(0, 7), ";maddr=");
}

TEST(Via, ParamNamesCaseInsensitive) {
  Via v;
  ASSERT_TRUE(parse_via("SIP/2.0/UDP h.example.com;BRANCH=z9hG4bKup;RPort=5;Received=192.0.2.7", v));
  EXPECT_EQ(v.branch, "z9hG4bKup");
  EXPECT_EQ(v.rport, 5u);
  EXPECT_EQ(v.received, "192.0.2.7");
}

TEST(Via, MagicCookie) {
  Via v;
  ASSERT_TRUE(parse_via("SIP/2.0/UDP h;branch=1234abcd", v));
  EXPECT_TRUE(v.has_branch);
  EXPECT_FALSE(v.rfc3261_branch());
  ASSERT_TRUE(parse_via("SIP/2.0/UDP h;branch=z9hG4bK", v));
  EXPECT_FALSE(v.rfc3261_branch()) << "the cookie alone is not a unique branch";
  ASSERT_TRUE(parse_via("SIP/2.0/UDP h;branch=Z9HG4BKabc", v));
  EXPECT_FALSE(v.rfc3261_branch()) << "the cookie is case-sensitive";
  ASSERT_TRUE(parse_via("SIP/2.0/UDP h", v));
  EXPECT_FALSE(v.has_branch);
  EXPECT_FALSE(v.rfc3261_branch());
  ASSERT_TRUE(parse_via("SIP/2.0/UDP h;branch=z9hG4bK.1", v));
  EXPECT_TRUE(v.rfc3261_branch());
}

TEST(Via, Invalid) {
  for (const char* text :
       {"", "SIP/2.0 h.example.com", "SIP/2.0/UDP", "SIP/2.0/UDP ", "SIP/UDP h.example.com",
        "SIP/2.0/UDP h.example.com:99999", "SIP/2.0/UDP h.example.com:abc",
        "SIP/2.0/UDP h.example.com:", "SIP/2.0/UDP [2001:db8::1", "SIP/2.0/UDP 2001:db8::1",
        "SIP/2.0/UDP ho st.example.com", "SIP/2.0/UDP h.example.com;rport=abc",
        "SIP/2.0/UDP h.example.com;rport=70000", "SIP/2.0/UDP h.example.com;branch=\"unterminated"}) {
    Via v;
    EXPECT_FALSE(parse_via(text, v)) << '"' << text << '"';
  }
}

}  // namespace
}  // namespace duet::sip
