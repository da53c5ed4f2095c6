// Contact handling: q ordering, contact matching by URI equality, removal of one contact,
// duplicates in a request, malformed contacts and the per-AOR contact cap.
#include <gtest/gtest.h>

#include "registrar_harness.hpp"

namespace duet::registrar::test {
namespace {

TEST(RegisterContacts, OkListsBindingsByDescendingQ) {
  Harness h;
  RegisterText t;
  t.contacts = {"<sip:alice@192.0.2.1>;q=0.1", "<sip:alice@192.0.2.2>;q=0.9", "<sip:alice@192.0.2.3>;q=0.5",
                "<sip:alice@192.0.2.4>"};
  auto r = h.send(t);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status(), 200);
  ASSERT_EQ(r->contacts.size(), 4u);
  EXPECT_EQ(r->contacts[0].uri, "sip:alice@192.0.2.4");
  EXPECT_EQ(r->contacts[0].q, 1000);
  EXPECT_EQ(r->contacts[1].uri, "sip:alice@192.0.2.2");
  EXPECT_EQ(r->contacts[1].q, 900);
  EXPECT_EQ(r->contacts[2].uri, "sip:alice@192.0.2.3");
  EXPECT_EQ(r->contacts[2].q, 500);
  EXPECT_EQ(r->contacts[3].uri, "sip:alice@192.0.2.1");
  EXPECT_EQ(r->contacts[3].q, 100);
  // A refresh changing q re-orders.
  auto r2 = h.send(alice("<sip:alice@192.0.2.1>;q=0.95", 2));
  ASSERT_EQ(r2->contacts.size(), 4u);
  EXPECT_EQ(r2->contacts[1].uri, "sip:alice@192.0.2.1");
  EXPECT_EQ(r2->contacts[1].q, 950);
}

TEST(RegisterContacts, EqualQPutsMostRecentFirst) {
  Harness h;
  ASSERT_EQ(h.send(alice("<sip:alice@192.0.2.1>", 1))->status(), 200);
  auto r = h.send(alice("<sip:alice@192.0.2.2>", 2));
  ASSERT_EQ(r->contacts.size(), 2u);
  EXPECT_EQ(r->contacts[0].uri, "sip:alice@192.0.2.2");
  r = h.send(alice("<sip:alice@192.0.2.1>", 3));
  EXPECT_EQ(r->contacts[0].uri, "sip:alice@192.0.2.1");
}

TEST(RegisterContacts, EquivalentUrisAreTheSameBinding) {
  Harness h;
  ASSERT_EQ(h.send(alice("<sip:alice@PC33.Example.COM;transport=udp>", 1))->status(), 200);
  auto r = h.send(alice("<sip:alice@pc33.example.com;transport=UDP>", 2));
  EXPECT_EQ(r->status(), 200);
  EXPECT_EQ(r->contacts.size(), 1u);
  EXPECT_EQ(h.store().binding_count(), 1u);
}

TEST(RegisterContacts, ExpiresZeroRemovesOnlyThatContact) {
  Harness h;
  RegisterText t;
  t.contacts = {"<sip:alice@192.0.2.1>", "<sip:alice@192.0.2.2>"};
  ASSERT_EQ(h.send(t)->status(), 200);
  auto r = h.send(alice("<sip:alice@192.0.2.1>;expires=0", 2));
  ASSERT_EQ(r->contacts.size(), 1u);
  EXPECT_EQ(r->contacts[0].uri, "sip:alice@192.0.2.2");
}

TEST(RegisterContacts, DuplicateContactInOneRequestMakesOneBindingLastWins) {
  Harness h;
  RegisterText t;
  t.contacts = {"<sip:alice@192.0.2.1>;expires=100", "<sip:alice@192.0.2.1>;expires=200"};
  auto r = h.send(t);
  ASSERT_EQ(r->contacts.size(), 1u);
  EXPECT_EQ(r->contacts[0].expires, 200);
}

TEST(RegisterContacts, MalformedContactOrQIs400) {
  Harness h;
  EXPECT_EQ(h.send(alice("<sip:alice@>"))->status(), 400);
  EXPECT_EQ(h.send(alice("<sip:alice@192.0.2.1>;q=2"))->status(), 400);
  EXPECT_EQ(h.send(alice("<sip:alice@192.0.2.1>;q=abc"))->status(), 400);
  EXPECT_EQ(h.store().binding_count(), 0u);
}

TEST(RegisterContacts, CapRejectsWith503ByDefaultAndChangesNothing) {
  Options o;
  o.max_contacts_per_aor = 2;
  Harness h(o);
  RegisterText t;
  t.contacts = {"<sip:alice@192.0.2.1>", "<sip:alice@192.0.2.2>"};
  ASSERT_EQ(h.send(t)->status(), 200);
  auto r = h.send(alice("<sip:alice@192.0.2.3>", 2));
  EXPECT_EQ(r->status(), 503);
  EXPECT_EQ(r->msg.reason_phrase(), "Too Many Registered Contacts");
  EXPECT_EQ(h.store().binding_count(), 2u);
  // Refreshing an existing binding at the cap is fine, and so is replacing one in one request.
  EXPECT_EQ(h.send(alice("<sip:alice@192.0.2.1>", 3))->status(), 200);
  RegisterText swap;
  swap.cseq = 4;
  swap.contacts = {"<sip:alice@192.0.2.1>;expires=0", "<sip:alice@192.0.2.3>"};
  auto rs = h.send(swap);
  EXPECT_EQ(rs->status(), 200);
  EXPECT_EQ(rs->contacts.size(), 2u);
}

TEST(RegisterContacts, CapAnswerCodeIsConfigurable) {
  Options o;
  o.max_contacts_per_aor = 1;
  o.too_many_contacts_code = 403;
  Harness h(o);
  RegisterText t;
  t.contacts = {"<sip:alice@192.0.2.1>", "<sip:alice@192.0.2.2>"};
  auto r = h.send(t);
  EXPECT_EQ(r->status(), 403);
  EXPECT_EQ(h.store().binding_count(), 0u);
}

// [registrar] max_bindings: one budget for every shard of the site. Past it, a REGISTER that would
// add a binding gets 503 and changes nothing; refreshes and removals still work, and a removal or
// an expiry makes room again.
TEST(RegisterContacts, SiteBindingBudgetIsSharedByTheShardsAndRefusesOnly503NewBindings) {
  BindingBudget budget(3);
  Harness a, b;  // two shards
  a.store().set_budget(&budget);
  b.store().set_budget(&budget);
  auto user = [](const std::string& name, const std::string& contact) {
    RegisterText t = alice(contact);
    t.to = "<sip:" + name + "@example.com>";
    t.call_id = name + "-reg";
    return t;
  };
  ASSERT_EQ(a.send(user("u1", "<sip:u1@192.0.2.1>;expires=60"))->status(), 200);
  RegisterText u2 = user("u2", "<sip:u2@192.0.2.2>");
  u2.contacts.push_back("<sip:u2@192.0.2.3>");
  ASSERT_EQ(b.send(u2)->status(), 200);
  EXPECT_EQ(budget.used(), 3u);
  // Full: a new AOR on either shard, or a new contact of a known one, is refused whole.
  auto r = a.send(user("u3", "<sip:u3@192.0.2.4>"));
  EXPECT_EQ(r->status(), 503);
  EXPECT_EQ(r->msg.reason_phrase(), "Registrar Full");
  EXPECT_EQ(r->header(sip::HeaderId::retry_after), "60");
  RegisterText more = user("u1", "<sip:u1@192.0.2.9>");
  more.cseq = 2;
  EXPECT_EQ(a.send(more)->status(), 503);
  EXPECT_EQ(a.store().binding_count(), 1u);
  EXPECT_EQ(a.registrar().stats().refused_full, 2u);
  // A refresh adds nothing: still answered.
  RegisterText refresh = user("u2", "<sip:u2@192.0.2.2>");
  refresh.cseq = 2;
  EXPECT_EQ(b.send(refresh)->status(), 200);
  // A removal on one shard makes room on the other.
  RegisterText gone = user("u2", "<sip:u2@192.0.2.3>");
  gone.cseq = 3;
  gone.expires = "0";
  ASSERT_EQ(b.send(gone)->status(), 200);
  EXPECT_EQ(budget.used(), 2u);
  EXPECT_EQ(a.send(user("u3", "<sip:u3@192.0.2.4>"))->status(), 200);
  EXPECT_EQ(budget.used(), 3u);
  // So does an expiry.
  a.advance_s(61);
  EXPECT_EQ(budget.used(), 2u);
  EXPECT_EQ(b.send(user("u4", "<sip:u4@192.0.2.5>"))->status(), 200);
  // Full again: a request that removes one contact and adds another fits (whatever their order);
  // one that adds two and removes one does not, and changes nothing.
  RegisterText swap = user("u4", "<sip:u4@192.0.2.6>");
  swap.contacts.push_back("<sip:u4@192.0.2.5>;expires=0");
  swap.cseq = 2;
  ASSERT_EQ(b.send(swap)->status(), 200);
  EXPECT_EQ(budget.used(), 3u);
  RegisterText grow = user("u4", "<sip:u4@192.0.2.7>");
  grow.contacts = {"<sip:u4@192.0.2.6>;expires=0", "<sip:u4@192.0.2.7>", "<sip:u4@192.0.2.8>"};
  grow.cseq = 3;
  EXPECT_EQ(b.send(grow)->status(), 503);
  EXPECT_EQ(budget.used(), 3u);
  EXPECT_EQ(b.store().binding_count(), 2u);  // u2 and u4 at .6, as before
}

TEST(RegisterContacts, CapZeroMeansNoLimit) {
  Options o;
  o.max_contacts_per_aor = 0;
  Harness h(o);
  RegisterText t;
  for (int i = 0; i < 20; ++i) t.contacts.push_back("<sip:alice@192.0.2." + std::to_string(i) + ">");
  auto r = h.send(t);
  EXPECT_EQ(r->status(), 200);
  EXPECT_EQ(r->contacts.size(), 20u);
}

TEST(RegisterContacts, ExpiredBindingsDoNotCountTowardsTheCap) {
  Options o;
  o.max_contacts_per_aor = 1;
  Harness h(o, 1'000'400);  // expiry falls between two wheel ticks
  ASSERT_EQ(h.send(alice("<sip:alice@192.0.2.1>;expires=60"))->status(), 200);
  h.now_ms += 60'500;  // past due, before the wheel's next tick collected it
  h.registrar().expire(h.now_ms);
  ASSERT_EQ(h.store().binding_count(), 1u);
  EXPECT_EQ(h.send(alice("<sip:alice@192.0.2.2>", 2))->status(), 200);
}

TEST(RegisterContacts, MoreContactsThanOneRequestMayCarryIsRefused) {
  Options o;
  o.max_contacts_per_aor = 100;
  Harness h(o);
  RegisterText t;
  for (int i = 0; i < 40; ++i) t.contacts.push_back("<sip:alice@192.0.2." + std::to_string(i) + ">");
  EXPECT_EQ(h.send(t)->status(), 503);
  EXPECT_EQ(h.store().binding_count(), 0u);
}

}  // namespace
}  // namespace duet::registrar::test
