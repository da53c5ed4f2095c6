// SIP, SIPS and tel URIs (RFC 3261 §19.1, §25.1; RFC 3966; RFC 5118 IPv6; RFC 5626 ob).
#include <gtest/gtest.h>

#include <string>

#include "duet/sip/params.hpp"
#include "duet/sip/uri.hpp"

namespace duet::sip {
namespace {

Uri must_parse(std::string_view text) {
  Uri u;
  EXPECT_TRUE(parse_uri(text, u)) << text;
  return u;
}

TEST(Uri, SimpleSip) {
  const Uri u = must_parse("sip:alice@atlanta.com");
  EXPECT_EQ(u.scheme, UriScheme::sip);
  EXPECT_EQ(u.scheme_text, "sip");
  EXPECT_TRUE(u.has_user);
  EXPECT_EQ(u.user, "alice");
  EXPECT_EQ(u.password, "");
  EXPECT_EQ(u.host, "atlanta.com");
  EXPECT_EQ(u.host_kind, HostKind::name);
  EXPECT_FALSE(u.has_port);
  EXPECT_EQ(u.port_or_default(), 5060);
  EXPECT_EQ(u.params, "");
  EXPECT_EQ(u.headers, "");
  EXPECT_EQ(u.text, "sip:alice@atlanta.com");
  EXPECT_FALSE(u.lr);
}

// RFC 3261 §19.1.4: the known parameters are found under escaped names too (RFC 4475 esc01).
TEST(Uri, EscapedKnownParameterNames) {
  Uri u;
  ASSERT_TRUE(parse_uri("sip:a@h;%6C%72;tr%61nsport=tcp;m%61ddr=10.0.0.1;%75ser=phone;%6Fb", u));
  EXPECT_TRUE(u.lr);
  EXPECT_TRUE(u.ob);
  EXPECT_EQ(u.transport, "tcp");
  EXPECT_EQ(u.maddr, "10.0.0.1");
  EXPECT_EQ(u.user_param, "phone");
  // An escape that decodes to another name, or a name too long to be one, is just a parameter.
  Uri v;
  ASSERT_TRUE(parse_uri("sip:a@h;%6C%73;%6C%72%72;transport%5F=udp", v));
  EXPECT_FALSE(v.lr);
  EXPECT_TRUE(v.transport.empty());
  Param p;
  EXPECT_TRUE(find_param(u.params, "transport", p));
  EXPECT_EQ(p.value, "tcp");
}

TEST(Uri, SipsWithPasswordAndTransport) {
  const Uri u = must_parse("sips:alice:secretword@atlanta.com;transport=tcp");
  EXPECT_EQ(u.scheme, UriScheme::sips);
  EXPECT_EQ(u.user, "alice");
  EXPECT_EQ(u.password, "secretword");
  EXPECT_EQ(u.transport, "tcp");
  EXPECT_EQ(u.params, ";transport=tcp");
  EXPECT_EQ(u.port_or_default(), 5061);
}

TEST(Uri, TelephoneUserWithPasswordAndUserParam) {
  const Uri u = must_parse("sip:+1-212-555-1212:1234@gateway.com;user=phone");
  EXPECT_EQ(u.user, "+1-212-555-1212");
  EXPECT_EQ(u.password, "1234");
  EXPECT_EQ(u.host, "gateway.com");
  EXPECT_EQ(u.user_param, "phone");
}

TEST(Uri, Ipv4HostAndPort) {
  const Uri u = must_parse("sip:alice@192.0.2.4:5070");
  EXPECT_EQ(u.host, "192.0.2.4");
  EXPECT_EQ(u.host_kind, HostKind::ipv4);
  EXPECT_TRUE(u.has_port);
  EXPECT_EQ(u.port, 5070);
  EXPECT_EQ(u.port_or_default(), 5070);
}

TEST(Uri, NoUserWithMethodAndHeaders) {
  const Uri u = must_parse("sip:atlanta.com;method=REGISTER?to=alice%40atlanta.com");
  EXPECT_FALSE(u.has_user);
  EXPECT_EQ(u.user, "");
  EXPECT_EQ(u.host, "atlanta.com");
  EXPECT_EQ(u.method, "REGISTER");
  EXPECT_EQ(u.params, ";method=REGISTER");
  EXPECT_EQ(u.headers, "to=alice%40atlanta.com");
}

TEST(Uri, UserMayContainSemicolon) {
  // §19.1.3 example: user-unreserved includes ';', the params start after the host.
  const Uri u = must_parse("sip:alice;day=tuesday@atlanta.com");
  EXPECT_EQ(u.user, "alice;day=tuesday");
  EXPECT_EQ(u.host, "atlanta.com");
  EXPECT_EQ(u.params, "");
}

TEST(Uri, EscapedUserKeptEscaped) {
  const Uri u = must_parse("sip:%61lice%20smith@atlanta.com");
  EXPECT_EQ(u.user, "%61lice%20smith");
  EXPECT_TRUE(unescaped_equal(u.user, "alice smith", false));
}

TEST(Uri, Ipv6References) {
  // RFC 5118 §4.1 / §4.2.
  const Uri a = must_parse("sip:[2001:db8::10]");
  EXPECT_EQ(a.host, "[2001:db8::10]");
  EXPECT_EQ(a.host_kind, HostKind::ipv6);
  EXPECT_EQ(a.host_unbracketed(), "2001:db8::10");
  EXPECT_FALSE(a.has_port);
  const Uri b = must_parse("sip:alice@[2001:db8::10]:5070;transport=tcp");
  EXPECT_EQ(b.host, "[2001:db8::10]");
  EXPECT_EQ(b.port, 5070);
  EXPECT_EQ(b.transport, "tcp");
  const Uri c = must_parse("sips:[::ffff:192.0.2.1]");
  EXPECT_EQ(c.host_kind, HostKind::ipv6);
  EXPECT_EQ(c.port_or_default(), 5061);
  const Uri d = must_parse("sip:[::1]:5060");
  EXPECT_EQ(d.host_unbracketed(), "::1");
}

TEST(Uri, PortRange) {
  EXPECT_EQ(must_parse("sip:h.example.com:65535").port, 65535);
  EXPECT_EQ(must_parse("sip:h.example.com:1").port, 1);
  Uri u;
  EXPECT_FALSE(parse_uri("sip:h.example.com:65536", u));
  EXPECT_FALSE(parse_uri("sip:h.example.com:123456", u));
  EXPECT_FALSE(parse_uri("sip:h.example.com:-1", u));
  EXPECT_FALSE(parse_uri("sip:h.example.com:", u));
}

TEST(Uri, CommonParams) {
  const Uri u =
      must_parse("sip:proxy.example.com;lr;ob;maddr=239.255.255.1;ttl=15;transport=udp;user=ip;x-foo=bar");
  EXPECT_TRUE(u.lr);
  EXPECT_TRUE(u.ob);
  EXPECT_EQ(u.maddr, "239.255.255.1");
  EXPECT_EQ(u.ttl, "15");
  EXPECT_EQ(u.transport, "udp");
  EXPECT_EQ(u.user_param, "ip");
  EXPECT_EQ(u.params, ";lr;ob;maddr=239.255.255.1;ttl=15;transport=udp;user=ip;x-foo=bar");
  Param p;
  ASSERT_TRUE(find_param(u.params, "x-foo", p));
  EXPECT_EQ(p.value, "bar");
}

TEST(Uri, ParamNamesCaseInsensitive) {
  const Uri u = must_parse("sip:proxy.example.com;LR;Transport=TCP");
  EXPECT_TRUE(u.lr);
  EXPECT_EQ(u.transport, "TCP");
}

TEST(Uri, TransportTlsDefaultPort) {
  EXPECT_EQ(must_parse("sip:h.example.com;transport=tls").port_or_default(), 5061);
  EXPECT_EQ(must_parse("sip:h.example.com;transport=TLS").port_or_default(), 5061);
  EXPECT_EQ(must_parse("sip:h.example.com;transport=tcp").port_or_default(), 5060);
  EXPECT_EQ(must_parse("sips:h.example.com:5081").port_or_default(), 5081);
}

TEST(Uri, HeadersAfterQuestionMark) {
  const Uri u = must_parse("sip:alice@atlanta.com;transport=udp?subject=project%20x&priority=urgent");
  EXPECT_EQ(u.params, ";transport=udp");
  EXPECT_EQ(u.headers, "subject=project%20x&priority=urgent");
  Param p;
  ASSERT_TRUE(find_param(u.headers, "priority", p, '&'));
  EXPECT_EQ(p.value, "urgent");
}

TEST(Uri, SchemeIsCaseInsensitive) {
  const Uri u = must_parse("SIP:alice@atlanta.com");
  EXPECT_EQ(u.scheme, UriScheme::sip);
  EXPECT_EQ(u.scheme_text, "SIP");
  EXPECT_EQ(must_parse("Sips:alice@atlanta.com").scheme, UriScheme::sips);
  EXPECT_EQ(must_parse("TEL:+15551234").scheme, UriScheme::tel);
}

TEST(Uri, TelGlobalAndLocal) {
  // RFC 3966 §3: global-number with visual separators, local-number with phone-context.
  const Uri g = must_parse("tel:+1-201-555-0123");
  EXPECT_EQ(g.scheme, UriScheme::tel);
  EXPECT_EQ(g.user, "+1-201-555-0123");
  EXPECT_EQ(g.host_kind, HostKind::none);
  const Uri l = must_parse("tel:7042;phone-context=example.com");
  EXPECT_EQ(l.user, "7042");
  Param p;
  ASSERT_TRUE(find_param(l.params, "phone-context", p));
  EXPECT_EQ(p.value, "example.com");
  const Uri e = must_parse("tel:+1-201-555-0123;ext=1234");
  EXPECT_EQ(e.user, "+1-201-555-0123");
  ASSERT_TRUE(find_param(e.params, "ext", p));
  EXPECT_EQ(p.value, "1234");
}

TEST(Uri, OtherSchemesAreOpaque) {
  const Uri m = must_parse("mailto:bob@example.com");
  EXPECT_EQ(m.scheme, UriScheme::other);
  EXPECT_EQ(m.scheme_text, "mailto");
  EXPECT_EQ(m.opaque, "bob@example.com");
  EXPECT_EQ(m.text, "mailto:bob@example.com");
  const Uri h = must_parse("http://www.example.com/alice/photo.jpg");
  EXPECT_EQ(h.scheme, UriScheme::other);
  EXPECT_EQ(h.opaque, "//www.example.com/alice/photo.jpg");
  const Uri urn = must_parse("urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
  EXPECT_EQ(urn.scheme_text, "urn");
}

TEST(Uri, Invalid) {
  for (const char* text :
       {"", "sip:", "sip:@atlanta.com", "sip:alice@", "sip:alice@atlanta.com:abc", "sip:alice@[2001:db8::1",
        "sip:alice@2001:db8::1", "sip:al ice@atlanta.com", "sip:alice@atlanta .com", "nocolon", ":nothing",
        "sip:alice@[2001:db8::g]", "sip:alice@atlanta.com;transport=udp ", " sip:alice@atlanta.com",
        "sip:alice@atlanta.com>", "<sip:alice@atlanta.com>", "tel:", "1sip:alice@atlanta.com"}) {
    Uri u;
    EXPECT_FALSE(parse_uri(text, u)) << '"' << text << '"';
  }
}

TEST(ClassifyHost, Kinds) {
  EXPECT_EQ(classify_host("example.com"), HostKind::name);
  EXPECT_EQ(classify_host("EXAMPLE.COM."), HostKind::name);
  EXPECT_EQ(classify_host("a-b.c-d.example"), HostKind::name);
  EXPECT_EQ(classify_host("localhost"), HostKind::name);
  EXPECT_EQ(classify_host("192.0.2.1"), HostKind::ipv4);
  EXPECT_EQ(classify_host("[2001:db8::1]"), HostKind::ipv6);
  EXPECT_EQ(classify_host("[::1]"), HostKind::ipv6);
  EXPECT_EQ(classify_host("[::ffff:192.0.2.1]"), HostKind::ipv6);
  EXPECT_EQ(classify_host("[2001:DB8:0:0:8:800:200C:417A]"), HostKind::ipv6);
  for (const char* bad :
       {"", "2001:db8::1", "[2001:db8::1", "2001:db8::1]", "[]", "[2001:db8::g]", "exa mple.com",
        "example.com:5060", "a@b", "[192.0.2.1]", "-example.com", "example..com"}) {
    EXPECT_EQ(classify_host(bad), HostKind::none) << '"' << bad << '"';
  }
}

TEST(UnescapedEqual, Rules) {
  EXPECT_TRUE(unescaped_equal("%61lice", "alice", false));
  EXPECT_TRUE(unescaped_equal("alice", "%61lice", false));
  EXPECT_TRUE(unescaped_equal("%2f", "%2F", false));
  EXPECT_FALSE(unescaped_equal("%41lice", "alice", false));
  EXPECT_TRUE(unescaped_equal("%41lice", "alice", true));
  EXPECT_FALSE(unescaped_equal("ALICE", "alice", false));
  EXPECT_TRUE(unescaped_equal("ALICE", "alice", true));
  EXPECT_FALSE(unescaped_equal("abc", "abd", false));
  EXPECT_FALSE(unescaped_equal("abc", "abcd", false));
  EXPECT_TRUE(unescaped_equal("", "", false));
  EXPECT_TRUE(unescaped_equal("project%20x", "project x", false));
}

}  // namespace
}  // namespace duet::sip
