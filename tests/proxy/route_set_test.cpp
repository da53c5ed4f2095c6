// Route header work of the proxy (RFC 3261 §16.4, RFC 5658): analyse_routes(), remove_routes()
// checked by applying its edits, and the loop-detection hash.
#include "route_set.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "duet/sip/header_id.hpp"
#include "duet/sip/params.hpp"
#include "duet/sip/values.hpp"

namespace duet::proxy {
namespace {

// A parsed message that owns its bytes.
struct Msg {
  std::string text;
  sip::Message m;
  bool ok = false;
};

std::unique_ptr<Msg> parse(std::string text) {
  auto p = std::make_unique<Msg>();
  p->text = std::move(text);
  p->ok = sip::parse(p->text, p->m).status == sip::ParseStatus::ok;
  return p;
}

// A request with these Route lines (each a complete "Route: ...\r\n" line, or several).
std::string request(const std::string& routes, const std::string& ruri = "sip:bob@example.com",
                    const std::string& via = "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc",
                    const std::string& from_tag = "ft", const std::string& to_tag = "",
                    std::uint32_t cseq = 1, const std::string& extra = "") {
  std::string s = "INVITE " + ruri + " SIP/2.0\r\n";
  s += "Via: " + via + "\r\n";
  s += "Max-Forwards: 70\r\n";
  s += routes;
  s += "From: <sip:alice@example.com>;tag=" + from_tag + "\r\n";
  s += "To: <sip:bob@example.com>" + (to_tag.empty() ? std::string() : ";tag=" + to_tag) + "\r\n";
  s += "Call-ID: rs-1@192.0.2.1\r\n";
  s += "CSeq: " + std::to_string(cseq) + " INVITE\r\n";
  s += extra;
  s += "Content-Length: 0\r\n\r\n";
  return s;
}

// This proxy: 127.0.0.1:5060 (the default port included).
const auto own = [](const sip::Uri& u) { return u.host == "127.0.0.1" && u.port_or_default() == 5060; };

constexpr const char* kOwn1 = "<sip:u0.0.7f000001.13c4~@127.0.0.1:5060;dn=100;lr>";
constexpr const char* kOwn2 = "<sip:u0.0.7f000001.13c4~@127.0.0.1;transport=tcp;lr>";
constexpr const char* kForeign = "<sip:10.0.0.2:5070;lr>";

TEST(ProxyRouteSet, NoRoute) {
  auto p = parse(request(""));
  ASSERT_TRUE(p->ok);
  const RouteInfo r = analyse_routes(p->m, own);
  EXPECT_EQ(r.ours, 0u);
  EXPECT_FALSE(r.has_next);
  EXPECT_FALSE(r.malformed);
  EXPECT_TRUE(r.tokens.empty());
}

TEST(ProxyRouteSet, OneOwnRoute) {
  auto p = parse(request(std::string("Route: ") + kOwn1 + "\r\n"));
  ASSERT_TRUE(p->ok);
  const RouteInfo r = analyse_routes(p->m, own);
  EXPECT_EQ(r.ours, 1u);
  EXPECT_EQ(r.tokens, "u0.0.7f000001.13c4~");
  sip::Param dn;
  ASSERT_TRUE(sip::find_param(r.params, "dn", dn));
  EXPECT_EQ(dn.value, "100");
  EXPECT_FALSE(r.has_next);
  EXPECT_FALSE(r.malformed);
}

TEST(ProxyRouteSet, TwoOwnRoutesOfADoubleRecordRoute) {
  // Both in one field, and in two fields.
  for (const std::string& routes : {std::string("Route: ") + kOwn1 + ", " + kOwn2 + "\r\n",
                                    std::string("Route: ") + kOwn1 + "\r\nRoute: " + kOwn2 + "\r\n"}) {
    auto p = parse(request(routes));
    ASSERT_TRUE(p->ok) << routes;
    const RouteInfo r = analyse_routes(p->m, own);
    EXPECT_EQ(r.ours, 2u) << routes;
    EXPECT_EQ(r.tokens, "u0.0.7f000001.13c4~") << routes;  // from the first
    EXPECT_NE(r.params.find("dn=100"), std::string_view::npos);
    EXPECT_FALSE(r.has_next);
    EXPECT_FALSE(r.malformed);
  }
}

TEST(ProxyRouteSet, AtMostTwoOwnRoutesAreTaken) {
  auto p = parse(request(std::string("Route: ") + kOwn1 + ", " + kOwn2 + ", <sip:127.0.0.1:5060;lr>\r\n"));
  ASSERT_TRUE(p->ok);
  const RouteInfo r = analyse_routes(p->m, own);
  EXPECT_EQ(r.ours, 2u);
  EXPECT_TRUE(r.has_next);
  EXPECT_EQ(r.next_uri, "sip:127.0.0.1:5060;lr");
}

TEST(ProxyRouteSet, ForeignRouteAfterOurs) {
  auto p =
      parse(request(std::string("Route: ") + kOwn1 + "\r\nRoute: " + kForeign + ", <sip:10.0.0.3;lr>\r\n"));
  ASSERT_TRUE(p->ok);
  const RouteInfo r = analyse_routes(p->m, own);
  EXPECT_EQ(r.ours, 1u);
  EXPECT_TRUE(r.has_next);
  EXPECT_EQ(r.next_uri, "sip:10.0.0.2:5070;lr");  // the first foreign one, not the last
  EXPECT_FALSE(r.malformed);
}

TEST(ProxyRouteSet, ForeignRouteFirstHidesOursBehindIt) {
  auto p = parse(request(std::string("Route: ") + kForeign + ", " + kOwn1 + "\r\n"));
  ASSERT_TRUE(p->ok);
  const RouteInfo r = analyse_routes(p->m, own);
  EXPECT_EQ(r.ours, 0u);
  EXPECT_TRUE(r.tokens.empty());
  EXPECT_TRUE(r.has_next);
  EXPECT_EQ(r.next_uri, "sip:10.0.0.2:5070;lr");
}

TEST(ProxyRouteSet, OtherPortIsNotOurs) {
  auto p = parse(request("Route: <sip:u0.0.7f000001.13c4~@127.0.0.1:5062;lr>\r\n"));
  ASSERT_TRUE(p->ok);
  const RouteInfo r = analyse_routes(p->m, own);
  EXPECT_EQ(r.ours, 0u);
  EXPECT_TRUE(r.has_next);
  EXPECT_EQ(r.next_uri, "sip:u0.0.7f000001.13c4~@127.0.0.1:5062;lr");
}

TEST(ProxyRouteSet, MalformedRoutes) {
  for (const std::string& routes : {
           std::string("Route: <sip:127.0.0.1;lr\r\n"),         // unterminated <
           std::string("Route: <sip:127.0.0.1:99999;lr>\r\n"),  // port out of range
           std::string("Route: <not a uri>\r\n"),
           std::string("Route: ") + kOwn1 + ", <sip:@;lr>\r\n",  // a bad one after ours
       }) {
    auto p = parse(request(routes));
    ASSERT_TRUE(p->ok) << routes;
    EXPECT_TRUE(analyse_routes(p->m, own).malformed) << routes;
  }
}

// Applies remove_routes(n) and returns the edited message's Route values, in order.
std::vector<std::string> routes_after_removing(const std::string& text, unsigned n, bool* ok_out = nullptr,
                                               std::string* edited_out = nullptr) {
  auto p = parse(text);
  EXPECT_TRUE(p->ok);
  sip::EditList e;
  const bool ok = remove_routes(e, p->m, n);
  if (ok_out != nullptr) *ok_out = ok;
  std::string edited(e.output_size(p->m.raw()), '\0');
  EXPECT_EQ(e.write(p->m.raw(), edited.data(), edited.size()), edited.size());
  if (edited_out != nullptr) *edited_out = edited;
  auto q = parse(edited);
  EXPECT_TRUE(q->ok) << edited;
  std::vector<std::string> out;
  sip::for_each_value(q->m, sip::HeaderId::route, [&](std::string_view v) {
    out.emplace_back(v);
    return true;
  });
  return out;
}

using Values = std::vector<std::string>;

TEST(ProxyRouteSet, RemoveRoutesInOneMultiValueField) {
  const std::string text = request("Route: <sip:a;lr>, <sip:b;lr>,<sip:c;lr>\r\n");
  bool ok = false;
  std::string edited;
  EXPECT_EQ(routes_after_removing(text, 0, &ok, &edited), (Values{"<sip:a;lr>", "<sip:b;lr>", "<sip:c;lr>"}));
  EXPECT_TRUE(ok);
  EXPECT_EQ(edited, text);
  EXPECT_EQ(routes_after_removing(text, 1, &ok, &edited), (Values{"<sip:b;lr>", "<sip:c;lr>"}));
  EXPECT_TRUE(ok);
  EXPECT_NE(edited.find("\r\nRoute: <sip:b;lr>,<sip:c;lr>\r\n"), std::string::npos) << edited;
  EXPECT_EQ(routes_after_removing(text, 2, &ok, &edited), (Values{"<sip:c;lr>"}));
  EXPECT_TRUE(ok);
  EXPECT_NE(edited.find("\r\nRoute: <sip:c;lr>\r\n"), std::string::npos) << edited;
  EXPECT_EQ(routes_after_removing(text, 3, &ok, &edited), Values{});
  EXPECT_TRUE(ok);
  EXPECT_EQ(edited.find("Route"), std::string::npos) << edited;  // the whole line went
  EXPECT_NE(edited.find("Max-Forwards: 70\r\nFrom: "), std::string::npos) << edited;
}

TEST(ProxyRouteSet, RemoveRoutesAcrossTwoFields) {
  const std::string text = request("Route: <sip:a;lr>\r\nRoute: <sip:b;lr>, <sip:c;lr>\r\n");
  bool ok = false;
  std::string edited;
  EXPECT_EQ(routes_after_removing(text, 1, &ok, &edited), (Values{"<sip:b;lr>", "<sip:c;lr>"}));
  EXPECT_TRUE(ok);
  EXPECT_NE(edited.find("Max-Forwards: 70\r\nRoute: <sip:b;lr>, <sip:c;lr>\r\nFrom"), std::string::npos)
      << edited;
  EXPECT_EQ(routes_after_removing(text, 2, &ok, &edited), (Values{"<sip:c;lr>"}));
  EXPECT_TRUE(ok);
  EXPECT_NE(edited.find("Max-Forwards: 70\r\nRoute: <sip:c;lr>\r\nFrom"), std::string::npos) << edited;
  EXPECT_EQ(routes_after_removing(text, 3, &ok), Values{});
  EXPECT_TRUE(ok);

  // The first field holds both values that go: it is removed whole, the second is untouched.
  const std::string text2 = request("Route: <sip:a;lr>, <sip:b;lr>\r\nRoute: <sip:c;lr>\r\n");
  EXPECT_EQ(routes_after_removing(text2, 2, &ok, &edited), (Values{"<sip:c;lr>"}));
  EXPECT_TRUE(ok);
  EXPECT_NE(edited.find("Max-Forwards: 70\r\nRoute: <sip:c;lr>\r\nFrom"), std::string::npos) << edited;
}

TEST(ProxyRouteSet, RemoveRoutesAcrossNonAdjacentFields) {
  const std::string text = request("Route: <sip:a;lr>\r\nX-Other: 1\r\nRoute: <sip:b;lr>\r\n");
  bool ok = false;
  std::string edited;
  EXPECT_EQ(routes_after_removing(text, 2, &ok, &edited), Values{});
  EXPECT_TRUE(ok);
  EXPECT_NE(edited.find("Max-Forwards: 70\r\nX-Other: 1\r\nFrom"), std::string::npos) << edited;
}

TEST(ProxyRouteSet, RemovingMoreRoutesThanThereAreFails) {
  auto p = parse(request("Route: <sip:a;lr>\r\n"));
  ASSERT_TRUE(p->ok);
  sip::EditList e;
  EXPECT_FALSE(remove_routes(e, p->m, 2));
  auto none = parse(request(""));
  ASSERT_TRUE(none->ok);
  sip::EditList e2;
  EXPECT_FALSE(remove_routes(e2, none->m, 1));
  EXPECT_TRUE(remove_routes(e2, none->m, 0));
  EXPECT_EQ(e2.size(), 0u);
}

std::uint32_t hash_of(const std::string& text) {
  auto p = parse(text);
  EXPECT_TRUE(p->ok) << text;
  return loop_hash(p->m);
}

TEST(ProxyRouteSet, LoopHashFollowsTheRequestsIdentity) {
  const std::uint32_t base = hash_of(request(""));
  EXPECT_EQ(hash_of(request("")), base);                            // deterministic
  EXPECT_NE(hash_of(request("", "sip:bob@192.0.2.7:5062")), base);  // Request-URI
  EXPECT_NE(
      hash_of(request("", "sip:bob@example.com", "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc", "other")),
      base);  // From tag
  EXPECT_NE(
      hash_of(request("", "sip:bob@example.com", "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc", "ft", "tt")),
      base);  // To tag
  EXPECT_NE(hash_of(request("", "sip:bob@example.com", "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc", "ft",
                            "", 2)),
            base);  // CSeq number
  EXPECT_NE(hash_of(request("", "sip:bob@example.com", "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc", "ft",
                            "", 1, "Proxy-Require: foo\r\n")),
            base);  // Proxy-Require
  std::string other_call = request("");
  other_call.replace(other_call.find("rs-1@"), 5, "rs-2@");
  EXPECT_NE(hash_of(other_call), base);  // Call-ID
}

TEST(ProxyRouteSet, LoopHashIgnoresViaAndMaxForwardsButNotRoute) {
  const std::uint32_t base = hash_of(request(""));
  // Another branch and sent-by, and a second Via above it: what a hop adds does not change it.
  EXPECT_EQ(hash_of(request("", "sip:bob@example.com", "SIP/2.0/TCP 10.9.9.9:5070;branch=z9hG4bKzzz;rport")),
            base);
  EXPECT_EQ(hash_of(request("", "sip:bob@example.com",
                            "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKdu0.1.1\r\nVia: SIP/2.0/UDP "
                            "192.0.2.1:5060;branch=z9hG4bKabc")),
            base);
  // A spiral (through an application server and back) comes back with another Route set: it must
  // not look like a loop.
  EXPECT_NE(hash_of(request(std::string("Route: ") + kForeign + "\r\n")), base);
  std::string mf = request("");
  mf.replace(mf.find("Max-Forwards: 70"), 16, "Max-Forwards: 69");
  EXPECT_EQ(hash_of(mf), base);
}

}  // namespace
}  // namespace duet::proxy
