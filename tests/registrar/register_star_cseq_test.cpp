// Contact: * (RFC 3261 §10.3 step 6) and Call-ID/CSeq ordering (step 7).
#include <gtest/gtest.h>

#include "registrar_harness.hpp"

namespace duet::registrar::test {
namespace {

RegisterText two_contacts(std::uint32_t cseq) {
  RegisterText t;
  t.contacts = {"<sip:alice@192.0.2.10>", "<sip:alice@192.0.2.11>"};
  t.cseq = cseq;
  return t;
}

RegisterText star(std::uint32_t cseq, std::optional<std::string> expires = "0") {
  RegisterText t;
  t.contacts = {"*"};
  t.expires = std::move(expires);
  t.cseq = cseq;
  t.call_id = "another-call-id";
  return t;
}

TEST(RegisterStar, StarWithExpiresZeroRemovesEveryBinding) {
  Harness h;
  ASSERT_EQ(h.send(two_contacts(1))->status(), 200);
  ASSERT_EQ(h.store().binding_count(), 2u);
  auto r = h.send(star(2));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 200);
  EXPECT_TRUE(r->contacts.empty());
  EXPECT_EQ(h.store().binding_count(), 0u);
  EXPECT_EQ(h.store().aor_count(), 0u);
}

TEST(RegisterStar, StarNeedsExpiresZero) {
  Harness h;
  ASSERT_EQ(h.send(two_contacts(1))->status(), 200);
  EXPECT_EQ(h.send(star(2, std::nullopt))->status(), 400);
  EXPECT_EQ(h.send(star(3, "3600"))->status(), 400);
  EXPECT_EQ(h.store().binding_count(), 2u);
}

TEST(RegisterStar, StarWithOtherContactsIs400) {
  Harness h;
  ASSERT_EQ(h.send(two_contacts(1))->status(), 200);
  RegisterText t = star(2);
  t.contacts.push_back("<sip:alice@192.0.2.12>");
  auto r = h.send(t);
  EXPECT_EQ(r->status(), 400);
  RegisterText t2 = star(3);
  t2.contacts = {"*, <sip:alice@192.0.2.12>"};  // both in one header
  EXPECT_EQ(h.send(t2)->status(), 400);
  EXPECT_EQ(h.store().binding_count(), 2u);
}

TEST(RegisterStar, StarKeepsBindingsTheSameCallIdRefreshedWithHigherCSeq) {
  Harness h;
  ASSERT_EQ(h.send(two_contacts(10))->status(), 200);
  RegisterText t = star(5);
  t.call_id = two_contacts(0).call_id;  // same Call-ID, older CSeq
  auto r = h.send(t);
  EXPECT_EQ(r->status(), 200);
  EXPECT_EQ(r->contacts.size(), 2u);
  EXPECT_EQ(h.store().binding_count(), 2u);
  t.cseq = 11;
  EXPECT_EQ(h.send(t)->status(), 200);
  EXPECT_EQ(h.store().binding_count(), 0u);
}

TEST(RegisterCSeq, OlderOrEqualCSeqForSameCallIdIsIgnored) {
  Harness h;
  ASSERT_EQ(h.send(alice("<sip:alice@192.0.2.10>;expires=600", 5))->status(), 200);
  h.advance_s(10);
  // Same CSeq (a late retransmission): nothing changes, the 200 shows the binding as it is.
  auto same = h.send(alice("<sip:alice@192.0.2.10>;expires=0", 5));
  EXPECT_EQ(same->status(), 200);
  ASSERT_EQ(same->contacts.size(), 1u);
  EXPECT_EQ(same->contacts[0].expires, 590);
  // Older CSeq: ignored as well, even with a new expiry.
  auto older = h.send(alice("<sip:alice@192.0.2.10>;expires=3000", 4));
  ASSERT_EQ(older->contacts.size(), 1u);
  EXPECT_EQ(older->contacts[0].expires, 590);
  EXPECT_EQ(h.registrar().stats().stale_ignored, 2u);
  // Newer CSeq applies.
  auto newer = h.send(alice("<sip:alice@192.0.2.10>;expires=3000", 6));
  ASSERT_EQ(newer->contacts.size(), 1u);
  EXPECT_EQ(newer->contacts[0].expires, 3000);
  auto removed = h.send(alice("<sip:alice@192.0.2.10>;expires=0", 7));
  EXPECT_TRUE(removed->contacts.empty());
  EXPECT_EQ(h.store().binding_count(), 0u);
}

TEST(RegisterCSeq, DifferentCallIdUpdatesWhateverItsCSeq) {
  Harness h;
  ASSERT_EQ(h.send(alice("<sip:alice@192.0.2.10>;expires=600", 100))->status(), 200);
  RegisterText t = alice("<sip:alice@192.0.2.10>;expires=1200", 1);
  t.call_id = "rebooted-phone-call-id";
  auto r = h.send(t);
  ASSERT_EQ(r->contacts.size(), 1u);
  EXPECT_EQ(r->contacts[0].expires, 1200);
  EXPECT_EQ(h.store().binding_count(), 1u);
  RegisterText rm = alice("<sip:alice@192.0.2.10>;expires=0", 1);
  rm.call_id = "third-call-id";
  EXPECT_TRUE(h.send(rm)->contacts.empty());
  EXPECT_EQ(h.store().binding_count(), 0u);
}

TEST(RegisterCSeq, StaleCSeqOnOneContactDoesNotBlockANewOne) {
  Harness h;
  ASSERT_EQ(h.send(alice("<sip:alice@192.0.2.10>", 5))->status(), 200);
  RegisterText t;
  t.cseq = 5;
  t.contacts = {"<sip:alice@192.0.2.10>;expires=0", "<sip:alice@192.0.2.11>"};
  auto r = h.send(t);
  EXPECT_EQ(r->status(), 200);
  EXPECT_EQ(r->contacts.size(), 2u);
}

}  // namespace
}  // namespace duet::registrar::test
