// RFC 5626 flows (+sip.instance / reg-id), RFC 5627-style instance matching, RFC 3327 Path.
#include <gtest/gtest.h>

#include "registrar_harness.hpp"

namespace duet::registrar::test {
namespace {

constexpr const char* kInstance = "<urn:uuid:00000000-0000-1000-8000-000A95A0E128>";

std::string ob_contact(const std::string& host, int reg_id) {
  return "<sip:alice@" + host + ";ob>;+sip.instance=\"" + kInstance + "\";reg-id=" + std::to_string(reg_id);
}

RegisterText outbound(const std::string& host, int reg_id, std::uint32_t cseq, const std::string& call_id) {
  RegisterText t = alice(ob_contact(host, reg_id), cseq);
  t.call_id = call_id;
  t.extra = {"Supported: path, outbound"};
  return t;
}

TEST(RegisterOutbound, SameInstanceAndRegIdReplacesTheEarlierFlow) {
  Harness h;
  auto r1 = h.send(outbound("192.0.2.10:5060", 1, 1, "call-a"));
  ASSERT_EQ(r1->status(), 200);
  EXPECT_EQ(r1->header(sip::HeaderId::require), "outbound");
  ASSERT_EQ(r1->contacts.size(), 1u);
  EXPECT_EQ(r1->contacts[0].instance, kInstance);
  EXPECT_EQ(r1->contacts[0].reg_id, "1");

  // The phone comes back over a new network: new contact, new Call-ID, new source.
  h.flow.addr = {203, 0, 113, 50};
  h.flow.port = 6000;
  auto r2 = h.send(outbound("203.0.113.50:6000", 1, 1, "call-b"));
  ASSERT_EQ(r2->status(), 200);
  ASSERT_EQ(r2->contacts.size(), 1u);
  EXPECT_EQ(r2->contacts[0].uri, "sip:alice@203.0.113.50:6000;ob");
  EXPECT_EQ(h.store().binding_count(), 1u);
  AorKeyBuffer kb;
  AorKey key;
  sip::Uri u;
  ASSERT_TRUE(sip::parse_uri("sip:alice@example.com", u));
  ASSERT_EQ(aor_key_from_uri(u, kb, key), AorStatus::ok);
  const Binding* b = h.store().find(key);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->addr[0], 203);
  EXPECT_EQ(b->port, 6000);
  EXPECT_EQ(b->call_id(), "call-b");
}

TEST(RegisterOutbound, AnotherRegIdIsASecondFlow) {
  Harness h;
  ASSERT_EQ(h.send(outbound("192.0.2.10", 1, 1, "call-a"))->status(), 200);
  auto r = h.send(outbound("192.0.2.10", 2, 1, "call-b"));
  ASSERT_EQ(r->status(), 200);
  EXPECT_EQ(r->contacts.size(), 2u);
}

TEST(RegisterOutbound, RegIdIsIgnoredWithoutOutboundSupportOrInstance) {
  Harness h;
  RegisterText t = alice("<sip:alice@192.0.2.10>;reg-id=1");  // no instance
  t.extra = {"Supported: outbound"};
  auto r = h.send(t);
  ASSERT_EQ(r->status(), 200);
  EXPECT_TRUE(r->header(sip::HeaderId::require).empty());
  ASSERT_EQ(r->contacts.size(), 1u);
  EXPECT_TRUE(r->contacts[0].reg_id.empty());

  RegisterText t2 = alice(ob_contact("192.0.2.11", 1), 2);  // no Supported: outbound
  auto r2 = h.send(t2);
  ASSERT_EQ(r2->status(), 200);
  EXPECT_TRUE(r2->header(sip::HeaderId::require).empty());
}

TEST(RegisterOutbound, InstanceWithoutRegIdReplacesByInstance) {
  Harness h;
  const std::string inst = std::string(";+sip.instance=\"") + kInstance + "\"";
  ASSERT_EQ(h.send(alice("<sip:alice@192.0.2.10>" + inst, 1))->status(), 200);
  RegisterText t = alice("<sip:alice@192.0.2.99>" + inst, 1);
  t.call_id = "new-call";
  auto r = h.send(t);
  ASSERT_EQ(r->contacts.size(), 1u);
  EXPECT_EQ(r->contacts[0].uri, "sip:alice@192.0.2.99");
}

TEST(RegisterOutbound, TwoContactsWithRegIdIs400) {
  Harness h;
  RegisterText t = outbound("192.0.2.10", 1, 1, "c");
  t.contacts.push_back("<sip:alice@192.0.2.11>");
  EXPECT_EQ(h.send(t)->status(), 400);
  EXPECT_EQ(h.store().binding_count(), 0u);
}

TEST(RegisterOutbound, EdgeProxyWithoutObIs439) {
  Harness h;
  RegisterText t = outbound("192.0.2.10", 1, 1, "c");
  t.extra.push_back("Path: <sip:edge.example.com;lr>");
  auto r = h.send(t);
  EXPECT_EQ(r->status(), 439);
  RegisterText ok = outbound("192.0.2.10", 1, 2, "c");
  ok.extra.push_back("Path: <sip:edge.example.com;lr;ob>");
  EXPECT_EQ(h.send(ok)->status(), 200);
}

TEST(RegisterPath, PathIsStoredAndEchoedInOrderWhenSupported) {
  Harness h;
  RegisterText t = alice("<sip:alice@192.0.2.10>");
  t.extra = {"Supported: path", "Path: <sip:p1.example.com;lr>", "Path: <sip:p2.example.com;lr>"};
  auto r = h.send(t);
  ASSERT_EQ(r->status(), 200);
  std::vector<std::string> paths;
  for (const auto* f = r->msg.find(sip::HeaderId::path); f; f = r->msg.next(*f)) paths.emplace_back(f->value);
  ASSERT_EQ(paths.size(), 2u);
  EXPECT_EQ(paths[0], "<sip:p1.example.com;lr>");
  EXPECT_EQ(paths[1], "<sip:p2.example.com;lr>");
  AorKeyBuffer kb;
  AorKey key;
  sip::Uri u;
  ASSERT_TRUE(sip::parse_uri("sip:alice@example.com", u));
  ASSERT_EQ(aor_key_from_uri(u, kb, key), AorStatus::ok);
  const Binding* b = h.store().find(key);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->path(), "<sip:p1.example.com;lr>,<sip:p2.example.com;lr>");
}

TEST(RegisterPath, PathIsStoredButNotEchoedWithoutSupport) {
  Harness h;
  RegisterText t = alice("<sip:alice@192.0.2.10>");
  t.extra = {"Path: <sip:p1.example.com;lr>"};
  auto r = h.send(t);
  ASSERT_EQ(r->status(), 200);
  EXPECT_FALSE(r->msg.has(sip::HeaderId::path));
  AorKeyBuffer kb;
  AorKey key;
  sip::Uri u;
  ASSERT_TRUE(sip::parse_uri("sip:alice@example.com", u));
  ASSERT_EQ(aor_key_from_uri(u, kb, key), AorStatus::ok);
  ASSERT_NE(h.store().find(key), nullptr);
  EXPECT_EQ(h.store().find(key)->path(), "<sip:p1.example.com;lr>");
}

TEST(RegisterPath, ChangedPathGrowsTheRecordAndIsKept) {
  Harness h;
  ASSERT_EQ(h.send(alice("<sip:alice@192.0.2.10>"))->status(), 200);
  RegisterText t = alice("<sip:alice@192.0.2.10>", 2);
  t.extra = {"Supported: path", "Path: <sip:a-much-longer-edge-proxy-name.example.com;lr>"};
  auto r = h.send(t);
  ASSERT_EQ(r->status(), 200);
  EXPECT_EQ(r->contacts.size(), 1u);
  EXPECT_EQ(r->header(sip::HeaderId::path), "<sip:a-much-longer-edge-proxy-name.example.com;lr>");
  EXPECT_EQ(h.store().binding_count(), 1u);
}

}  // namespace
}  // namespace duet::registrar::test
