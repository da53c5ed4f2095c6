// Domains and users the operator serves, Require handling, and bad Request-URI / To.
#include <gtest/gtest.h>

#include "registrar_harness.hpp"

namespace duet::registrar::test {
namespace {

TEST(RegisterPolicy, AnyDomainAndUserByDefault) {
  Harness h;
  RegisterText t = alice("<sip:x@192.0.2.1>");
  t.ruri = "sip:whatever.test";
  t.to = "<sip:someone@whatever.test>";
  EXPECT_EQ(h.send(t)->status(), 200);
}

TEST(RegisterPolicy, UnknownRequestUriDomainIs403) {
  Options o;
  o.domains = {"Example.com"};
  Harness h(o);
  RegisterText t = alice("<sip:alice@192.0.2.1>");
  t.ruri = "sip:other.org";
  EXPECT_EQ(h.send(t)->status(), 403);
  t.ruri = "sip:EXAMPLE.com";
  EXPECT_EQ(h.send(t)->status(), 200);
}

TEST(RegisterPolicy, AorOfAnotherDomainIs404) {
  Options o;
  o.domains = {"example.com"};
  Harness h(o);
  RegisterText t = alice("<sip:alice@192.0.2.1>");
  t.to = "<sip:alice@other.org>";
  EXPECT_EQ(h.send(t)->status(), 404);
  EXPECT_EQ(h.store().binding_count(), 0u);
}

TEST(RegisterPolicy, UserListRestrictsUsers) {
  Options o;
  o.users = {"alice", "bob@Example.com"};
  Harness h(o);
  EXPECT_EQ(h.send(alice("<sip:alice@192.0.2.1>"))->status(), 200);
  RegisterText bob = alice("<sip:bob@192.0.2.2>");
  bob.to = "<sip:bob@example.com>";
  EXPECT_EQ(h.send(bob)->status(), 200);
  bob.to = "<sip:bob@elsewhere.com>";
  EXPECT_EQ(h.send(bob)->status(), 404);
  RegisterText eve = alice("<sip:eve@192.0.2.3>");
  eve.to = "<sip:eve@example.com>";
  auto r = h.send(eve);
  EXPECT_EQ(r->status(), 404);
  EXPECT_EQ(h.store().aor_count(), 2u);
}

TEST(RegisterPolicy, UnsupportedRequireIs420WithUnsupported) {
  Harness h;
  RegisterText t = alice("<sip:alice@192.0.2.1>");
  t.extra = {"Require: path, foo, gruu"};
  auto r = h.send(t);
  EXPECT_EQ(r->status(), 420);
  EXPECT_EQ(r->header(sip::HeaderId::unsupported), "foo, gruu");
  t.extra = {"Require: path"};
  EXPECT_EQ(h.send(t)->status(), 200);
}

// An option tag longer than the Unsupported buffer: the 420 still names (the start of) it, as the
// grammar needs at least one tag.
TEST(RegisterPolicy, OverlongUnsupportedTagIsCutNotDropped) {
  Harness h;
  RegisterText t = alice("<sip:alice@192.0.2.1>");
  t.extra = {"Require: " + std::string(300, 'x')};
  auto r = h.send(t);
  EXPECT_EQ(r->status(), 420);
  EXPECT_EQ(r->header(sip::HeaderId::unsupported), std::string(256, 'x'));
}

TEST(RegisterPolicy, NonSipAorOrRequestUri) {
  Harness h;
  RegisterText t = alice("<sip:alice@192.0.2.1>");
  t.to = "<tel:+15551234>";
  EXPECT_EQ(h.send(t)->status(), 400);
  RegisterText t2 = alice("<sip:alice@192.0.2.1>");
  t2.ruri = "tel:+15551234";
  EXPECT_EQ(h.send(t2)->status(), 416);
  EXPECT_EQ(h.store().binding_count(), 0u);
}

}  // namespace
}  // namespace duet::registrar::test

namespace duet::registrar::test {
namespace {

TEST(RegisterPolicy, OwnAddressesAreAcceptedAsRequestUriButNotAsAor) {
  Options o;
  o.domains = {"example.com"};
  o.local_hosts = {"192.0.2.1", "::1"};
  Harness h(o);
  RegisterText t = alice("<sip:alice@192.0.2.10>");
  t.ruri = "sip:192.0.2.1";
  EXPECT_EQ(h.send(t)->status(), 200);
  t.ruri = "sip:[::1]:5060";
  t.cseq = 2;
  EXPECT_EQ(h.send(t)->status(), 200);
  t.ruri = "sip:192.0.2.99";
  EXPECT_EQ(h.send(t)->status(), 403);
  RegisterText ip_aor = alice("<sip:alice@192.0.2.10>");
  ip_aor.ruri = "sip:192.0.2.1";
  ip_aor.to = "<sip:alice@192.0.2.1>";
  EXPECT_EQ(h.send(ip_aor)->status(), 404);
}

TEST(RegisterPolicy, SupportedTagsAreFoundAcrossSeveralHeaders) {
  Harness h;
  RegisterText t = alice("<sip:alice@192.0.2.10>");
  t.extra = {"Supported: outbound", "Supported: timer, path", "Path: <sip:edge.example.com;lr>"};
  auto r = h.send(t);
  ASSERT_EQ(r->status(), 200);
  EXPECT_EQ(r->header(sip::HeaderId::path), "<sip:edge.example.com;lr>");
}

TEST(RegisterPolicy, PrecomputedAorKeyIsUsed) {
  Options o;
  Policy p(o);
  Registrar reg(p, 0, 0);
  const std::string text = alice("<sip:alice@192.0.2.10>").build();
  sip::Message m;
  ASSERT_EQ(sip::parse(text, m).status, sip::ParseStatus::ok);
  AorKeyBuffer kb;
  AorKey key;
  ASSERT_EQ(aor_key_from_request(m, kb, key), AorStatus::ok);
  RequestContext ctx;
  ctx.aor = &key;
  char buf[4096];
  EXPECT_EQ(reg.handle(m, ctx, buf, sizeof buf).substr(0, 14), "SIP/2.0 200 OK");
  EXPECT_NE(reg.store().find(key), nullptr);
}

}  // namespace
}  // namespace duet::registrar::test
