// REGISTER basics: adding bindings, the 200's contents (Contact list with expires, Date, To tag),
// queries, the AOR taken from To, and what each binding records about the phone.
#include <gtest/gtest.h>

#include "registrar_harness.hpp"

namespace duet::registrar::test {
namespace {

TEST(RegisterBasic, FirstRegisterAnswers200WithBindingDefaultExpiresAndDate) {
  Harness h;
  auto r = h.send(alice("<sip:alice@192.0.2.10:5060>"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 200);
  ASSERT_EQ(r->contacts.size(), 1u);
  EXPECT_EQ(r->contacts[0].uri, "sip:alice@192.0.2.10:5060");
  EXPECT_EQ(r->contacts[0].expires, 3600);
  EXPECT_EQ(r->header(sip::HeaderId::date), "Tue, 14 Nov 2023 22:13:20 GMT");
  EXPECT_NE(r->header(sip::HeaderId::to).find(";tag="), std::string::npos);
  EXPECT_EQ(r->header(sip::HeaderId::call_id), "a84b4c76e66710@pc33.example.com");
  EXPECT_EQ(r->msg.cseq_number(), 1u);
  EXPECT_EQ(r->msg.cseq_method(), "REGISTER");
  EXPECT_EQ(h.store().aor_count(), 1u);
  EXPECT_EQ(h.store().binding_count(), 1u);
}

TEST(RegisterBasic, RetransmissionGetsTheSameToTag) {
  Harness h;
  const auto req = alice("<sip:alice@192.0.2.10>").build();
  auto a = h.send(req);
  auto b = h.send(req);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->header(sip::HeaderId::to), b->header(sip::HeaderId::to));
  EXPECT_EQ(b->status(), 200);
  EXPECT_EQ(b->contacts.size(), 1u);
}

TEST(RegisterBasic, ExpiresHeaderAppliesToContactsWithoutTheParam) {
  Harness h;
  RegisterText t;
  t.contacts = {"<sip:alice@192.0.2.10>", "<sip:alice@192.0.2.11>;expires=120"};
  t.expires = "600";
  auto r = h.send(t);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status(), 200);
  ASSERT_EQ(r->contacts.size(), 2u);
  for (const auto& c : r->contacts) {
    if (c.uri == "sip:alice@192.0.2.10")
      EXPECT_EQ(c.expires, 600);
    else
      EXPECT_EQ(c.expires, 120);
  }
}

TEST(RegisterBasic, EmptyRegisterIsAQueryListingCurrentBindings) {
  Harness h;
  auto q0 = h.send(RegisterText{});
  ASSERT_TRUE(q0);
  EXPECT_EQ(q0->status(), 200);
  EXPECT_TRUE(q0->contacts.empty());
  EXPECT_FALSE(q0->header(sip::HeaderId::date).empty());

  ASSERT_EQ(h.send(alice("<sip:alice@192.0.2.10>"))->status(), 200);
  h.advance_s(100);
  RegisterText query;
  query.cseq = 2;
  auto q1 = h.send(query);
  ASSERT_TRUE(q1);
  EXPECT_EQ(q1->status(), 200);
  ASSERT_EQ(q1->contacts.size(), 1u);
  EXPECT_EQ(q1->contacts[0].expires, 3500);  // remaining, not the original
  EXPECT_EQ(h.store().binding_count(), 1u);
}

TEST(RegisterBasic, AorComesFromToNormalisedAndIsolatedFromOtherAors) {
  Harness h;
  ASSERT_EQ(h.send(alice("<sip:alice@192.0.2.10>"))->status(), 200);
  // Same AOR written differently: escaped user, upper-case host, a port, another Request-URI.
  RegisterText t = alice("<sip:alice@192.0.2.11>", 2);
  t.to = "\"Alice\" <sip:%61lice@EXAMPLE.COM:5060>";
  t.ruri = "sip:registrar.example.com";
  auto r = h.send(t);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 200);
  EXPECT_EQ(r->contacts.size(), 2u);
  EXPECT_EQ(h.store().aor_count(), 1u);

  RegisterText bob = alice("<sip:bob@192.0.2.20>");
  bob.to = "<sip:bob@example.com>";
  bob.call_id = "bob-call";
  auto rb = h.send(bob);
  ASSERT_TRUE(rb);
  ASSERT_EQ(rb->contacts.size(), 1u);
  EXPECT_EQ(rb->contacts[0].uri, "sip:bob@192.0.2.20");
  EXPECT_EQ(h.store().aor_count(), 2u);
  EXPECT_EQ(h.store().binding_count(), 3u);
}

TEST(RegisterBasic, BindingRecordsFlowSiteUserAgentAndCallInfo) {
  Options o;
  o.site_name = "paris";
  Harness h(o);
  h.flow.transport = Transport::tcp;
  h.flow.conn_id = 77;
  h.flow.worker = 3;
  RegisterText t = alice("<sip:alice@10.0.0.5:5060;transport=tcp>", 9);
  t.user_agent = "Yealink SIP-T46S 66.86.0.15";
  auto r = h.send(t);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status(), 200);
  AorKeyBuffer kb;
  AorKey key;
  sip::Uri u;
  ASSERT_TRUE(sip::parse_uri("sip:alice@example.com", u));
  ASSERT_EQ(aor_key_from_uri(u, kb, key), AorStatus::ok);
  const Binding* b = h.store().find(key);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->contact(), "sip:alice@10.0.0.5:5060;transport=tcp");
  EXPECT_EQ(b->call_id(), "a84b4c76e66710@pc33.example.com");
  EXPECT_EQ(b->cseq, 9u);
  EXPECT_EQ(b->aor_user(), "alice");
  EXPECT_EQ(h.store().domain(*b), "example.com");
  EXPECT_EQ(h.store().user_agent(*b), "Yealink SIP-T46S 66.86.0.15");
  EXPECT_EQ(h.store().site(*b), "paris");
  EXPECT_EQ(h.store().local(*b), "udp:127.0.0.1:5060");
  EXPECT_EQ(b->transport, Transport::tcp);
  EXPECT_EQ(b->conn_id, 77u);
  EXPECT_EQ(b->worker, 3);
  EXPECT_EQ(b->family, 4);
  EXPECT_EQ(b->port, 40000);
  EXPECT_EQ(b->addr[0], 198);
  EXPECT_EQ(b->addr[3], 7);
  EXPECT_EQ(b->expires_at_ms(), h.now_ms + 3600 * 1000);
}

TEST(RegisterBasic, ViaFixIsAppliedToTheResponse) {
  Options o;
  Policy p(o);
  Registrar reg(p, 0, 0);
  const std::string text = alice("<sip:alice@192.0.2.10>").build();
  sip::Message m;
  ASSERT_EQ(sip::parse(text, m).status, sip::ParseStatus::ok);
  RequestContext ctx;
  ctx.via.received = "203.0.113.9";
  ctx.via.rport = 31337;
  char buf[4096];
  const std::string out(reg.handle(m, ctx, buf, sizeof buf));
  EXPECT_NE(out.find("received=203.0.113.9"), std::string::npos) << out;
  EXPECT_NE(out.find("rport=31337"), std::string::npos) << out;
}

TEST(RegisterBasic, TooSmallOutputBufferGivesEmptyNotOverflow) {
  Options o;
  Policy p(o);
  Registrar reg(p, 0, 0);
  const std::string text = alice("<sip:alice@192.0.2.10>").build();
  sip::Message m;
  ASSERT_EQ(sip::parse(text, m).status, sip::ParseStatus::ok);
  RequestContext ctx;
  char buf[40];
  EXPECT_TRUE(reg.handle(m, ctx, buf, sizeof buf).empty());
}

}  // namespace
}  // namespace duet::registrar::test
