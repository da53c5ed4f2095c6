// Expiry rules: default, Expires header, per-contact param, 423 + Min-Expires below the minimum,
// capping at the maximum, and expiry of bindings through the timer wheel.
#include <gtest/gtest.h>

#include "registrar_harness.hpp"

namespace duet::registrar::test {
namespace {

TEST(RegisterExpires, BelowMinimumIs423WithMinExpiresAndChangesNothing) {
  Options o;
  o.min_expires = 60;
  Harness h(o);
  RegisterText t = alice("<sip:alice@192.0.2.10>");
  t.expires = "30";
  auto r = h.send(t);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 423);
  EXPECT_EQ(r->header(sip::HeaderId::min_expires), "60");
  EXPECT_EQ(h.store().binding_count(), 0u);

  auto r2 = h.send(alice("<sip:alice@192.0.2.10>;expires=59"));
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->status(), 423);
  EXPECT_EQ(r2->header(sip::HeaderId::min_expires), "60");

  auto r3 = h.send(alice("<sip:alice@192.0.2.10>;expires=60"));
  ASSERT_TRUE(r3);
  EXPECT_EQ(r3->status(), 200);
  ASSERT_EQ(r3->contacts.size(), 1u);
  EXPECT_EQ(r3->contacts[0].expires, 60);
}

TEST(RegisterExpires, OneShortContactRejectsTheWholeRequest) {
  Harness h;
  RegisterText t;
  t.contacts = {"<sip:alice@192.0.2.10>;expires=3600", "<sip:alice@192.0.2.11>;expires=5"};
  auto r = h.send(t);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 423);
  EXPECT_EQ(h.store().binding_count(), 0u);
}

TEST(RegisterExpires, AboveMaximumIsCapped) {
  Options o;
  o.max_expires = 7200;
  Harness h(o);
  auto r = h.send(alice("<sip:alice@192.0.2.10>;expires=100000"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 200);
  ASSERT_EQ(r->contacts.size(), 1u);
  EXPECT_EQ(r->contacts[0].expires, 7200);
  // Beyond 2^32-1 is "very long", not an error.
  auto r2 = h.send(alice("<sip:alice@192.0.2.10>;expires=99999999999999", 2));
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->status(), 200);
  EXPECT_EQ(r2->contacts[0].expires, 7200);
}

TEST(RegisterExpires, ConfiguredDefaultApplies) {
  Options o;
  o.default_expires = 1800;
  Harness h(o);
  auto r = h.send(alice("<sip:alice@192.0.2.10>"));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->contacts.size(), 1u);
  EXPECT_EQ(r->contacts[0].expires, 1800);
}

TEST(RegisterExpires, MalformedExpiresIs400) {
  Harness h;
  RegisterText t = alice("<sip:alice@192.0.2.10>");
  t.expires = "soon";
  EXPECT_EQ(h.send(t)->status(), 400);
  EXPECT_EQ(h.send(alice("<sip:alice@192.0.2.10>;expires=-5"))->status(), 400);
  EXPECT_EQ(h.store().binding_count(), 0u);
}

TEST(RegisterExpires, ZeroForUnknownContactIsAccepted) {
  Harness h;
  auto r = h.send(alice("<sip:alice@192.0.2.10>;expires=0"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 200);
  EXPECT_TRUE(r->contacts.empty());
  EXPECT_EQ(h.store().binding_count(), 0u);
}

TEST(RegisterExpires, WheelExpiresBindingsAndFreesTheAor) {
  Harness h;
  ASSERT_EQ(h.send(alice("<sip:alice@192.0.2.10>;expires=60"))->status(), 200);
  ASSERT_EQ(h.send(alice("<sip:alice@192.0.2.11>;expires=120", 2))->status(), 200);
  h.advance_s(59);
  EXPECT_EQ(h.store().binding_count(), 2u);
  RegisterText q;
  q.cseq = 3;
  auto r = h.send(q);
  ASSERT_EQ(r->contacts.size(), 2u);
  h.advance_s(1);
  EXPECT_EQ(h.store().binding_count(), 1u);  // the 60 s one, exactly at its expiry
  r = h.send([] {
    RegisterText t;
    t.cseq = 4;
    return t;
  }());
  ASSERT_EQ(r->contacts.size(), 1u);
  EXPECT_EQ(r->contacts[0].uri, "sip:alice@192.0.2.11");
  EXPECT_EQ(r->contacts[0].expires, 60);
  h.advance_s(60);
  EXPECT_EQ(h.store().binding_count(), 0u);
  EXPECT_EQ(h.store().aor_count(), 0u);
}

TEST(RegisterExpires, RefreshPostponesExpiry) {
  Harness h;
  ASSERT_EQ(h.send(alice("<sip:alice@192.0.2.10>;expires=60"))->status(), 200);
  h.advance_s(50);
  ASSERT_EQ(h.send(alice("<sip:alice@192.0.2.10>;expires=60", 2))->status(), 200);
  h.advance_s(50);
  EXPECT_EQ(h.store().binding_count(), 1u);
  h.advance_s(10);
  EXPECT_EQ(h.store().binding_count(), 0u);
}

TEST(RegisterExpires, PastDueBindingsAreGoneEvenBeforeTheWheelCollectsThem) {
  Harness h({}, 1'000'400);
  ASSERT_EQ(h.send(alice("<sip:alice@192.0.2.10>;expires=60"))->status(), 200);
  for (int i = 0; i < 200; ++i) {  // more due bindings than one request collects
    RegisterText t = alice("<sip:u@192.0.2.10>;expires=60");
    t.to = "<sip:user" + std::to_string(i) + "@example.com>";
    ASSERT_EQ(h.send(t)->status(), 200);
  }
  h.now_ms += 60'000;  // due, but the wheel's tick for it has not come
  RegisterText q;
  q.cseq = 2;
  auto r = h.send(q);
  EXPECT_TRUE(r->contacts.empty());
  // A later tick collects them all, in batches when asked to.
  h.now_ms += 1000;
  std::size_t n = 0;
  do {
    n += h.registrar().expire(h.now_ms, 50);
  } while (h.registrar().expiry_backlog());
  EXPECT_EQ(n, 201u);
  EXPECT_EQ(h.store().binding_count(), 0u);
}

}  // namespace
}  // namespace duet::registrar::test
