// Transaction matching (RFC 3261 §17.1.3, §17.2.3, §9.2) including the RFC 2543 fallback.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "duet/sip/transaction_key.hpp"
#include "sip_test_util.hpp"

namespace duet::sip {
namespace {

using test::with_body;

struct Keyed {
  explicit Keyed(std::string text) : p(std::move(text)) {
    EXPECT_TRUE(p.ok()) << reason(p.r.error) << "\n" << p.buf;
    made = make_transaction_key(p.msg, key);
  }
  test::Parsed p;
  TransactionKey key;
  bool made = false;
};

std::string request(std::string_view method, std::string_view via, std::string_view cseq_method = {},
                    std::string_view to = "<sip:bob@biloxi.example.com>",
                    std::string_view from_tag = "1928301774", std::string_view call_id = "a84b4c76e66710",
                    std::string_view ruri = "sip:bob@biloxi.example.com",
                    std::string_view cseq_num = "314159") {
  std::string h;
  h += method;
  h += " ";
  h += ruri;
  h += " SIP/2.0\nVia: ";
  h += via;
  h += "\nMax-Forwards: 70\nTo: ";
  h += to;
  h += "\nFrom: <sip:alice@atlanta.example.com>;tag=";
  h += from_tag;
  h += "\nCall-ID: ";
  h += call_id;
  h += "\nCSeq: ";
  h += cseq_num;
  h += " ";
  h += cseq_method.empty() ? method : cseq_method;
  h += "\n";
  return with_body(h);
}

std::string response(int status, std::string_view via, std::string_view cseq_method) {
  std::string h = "SIP/2.0 " + std::to_string(status) + " Whatever\nVia: ";
  h += via;
  h += "\nTo: <sip:bob@biloxi.example.com>;tag=s1\nFrom: <sip:alice@atlanta.example.com>;tag=1928301774\n"
       "Call-ID: a84b4c76e66710\nCSeq: 314159 ";
  h += cseq_method;
  h += "\n";
  return with_body(h);
}

constexpr std::string_view kVia = "SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK74bf9";
constexpr std::string_view kOldVia = "SIP/2.0/UDP pc33.atlanta.example.com:5060";

TEST(TransactionKey, Rfc3261InviteKey) {
  Keyed k(request("INVITE", kVia));
  ASSERT_TRUE(k.made);
  EXPECT_TRUE(k.key.rfc3261);
  EXPECT_EQ(k.key.branch, "z9hG4bK74bf9");
  EXPECT_EQ(k.key.sent_by_host, "pc33.atlanta.example.com");
  EXPECT_EQ(k.key.sent_by_port, 5060);
  EXPECT_EQ(k.key.method, Method::invite);
  EXPECT_EQ(k.key.cseq, 314159u);
}

TEST(TransactionKey, RetransmissionMatches) {
  Keyed a(request("INVITE", kVia));
  Keyed b(request("INVITE", kVia));
  ASSERT_TRUE(a.made && b.made);
  EXPECT_TRUE(same_transaction(a.key, b.key));
  EXPECT_EQ(hash_transaction_key(a.key), hash_transaction_key(b.key));
}

TEST(TransactionKey, AckForNonSuccessMatchesTheInvite) {
  // §17.2.3: the ACK for a non-2xx response has the INVITE's branch; its key method is INVITE.
  Keyed inv(request("INVITE", kVia));
  Keyed ack(request("ACK", kVia, {}, "<sip:bob@biloxi.example.com>;tag=99sa0xk"));
  ASSERT_TRUE(inv.made && ack.made);
  EXPECT_EQ(ack.key.method, Method::invite);
  EXPECT_TRUE(same_transaction(inv.key, ack.key));
  EXPECT_EQ(hash_transaction_key(inv.key), hash_transaction_key(ack.key));
}

TEST(TransactionKey, CancelIsItsOwnTransaction) {
  // §9.2: CANCEL carries the INVITE's branch but is a separate transaction.
  Keyed inv(request("INVITE", kVia));
  Keyed cancel(request("CANCEL", kVia));
  ASSERT_TRUE(inv.made && cancel.made);
  EXPECT_EQ(cancel.key.method, Method::cancel);
  EXPECT_FALSE(same_transaction(inv.key, cancel.key));
  EXPECT_EQ(cancel.key.branch, inv.key.branch);
}

TEST(TransactionKey, BranchComparedExactly) {
  Keyed a(request("OPTIONS", "SIP/2.0/UDP h.example.com;branch=z9hG4bKabc"));
  Keyed b(request("OPTIONS", "SIP/2.0/UDP h.example.com;branch=z9hG4bKABC"));
  Keyed c(request("OPTIONS", "SIP/2.0/UDP h.example.com;branch=z9hG4bKabd"));
  ASSERT_TRUE(a.made && b.made && c.made);
  EXPECT_FALSE(same_transaction(a.key, b.key));
  EXPECT_FALSE(same_transaction(a.key, c.key));
}

TEST(TransactionKey, SentByHostIsCaseInsensitivePortIsNot) {
  Keyed a(request("OPTIONS", "SIP/2.0/UDP Host.Example.COM:5060;branch=z9hG4bKx1"));
  Keyed b(request("OPTIONS", "SIP/2.0/UDP host.example.com:5060;branch=z9hG4bKx1"));
  Keyed c(request("OPTIONS", "SIP/2.0/UDP host.example.com:5070;branch=z9hG4bKx1"));
  Keyed d(request("OPTIONS", "SIP/2.0/UDP other.example.com:5060;branch=z9hG4bKx1"));
  ASSERT_TRUE(a.made && b.made && c.made && d.made);
  EXPECT_TRUE(same_transaction(a.key, b.key));
  EXPECT_EQ(hash_transaction_key(a.key), hash_transaction_key(b.key));
  EXPECT_FALSE(same_transaction(a.key, c.key));
  EXPECT_FALSE(same_transaction(a.key, d.key));
}

TEST(TransactionKey, DifferentMethodSameBranch) {
  Keyed a(request("OPTIONS", kVia));
  Keyed b(request("INFO", kVia));
  ASSERT_TRUE(a.made && b.made);
  EXPECT_FALSE(same_transaction(a.key, b.key));
}

TEST(TransactionKey, ExtensionMethodsComparedByText) {
  Keyed a(request("FOO", kVia));
  Keyed b(request("FOO", kVia));
  Keyed c(request("BAR", kVia));
  ASSERT_TRUE(a.made && b.made && c.made);
  EXPECT_EQ(a.key.method, Method::unknown);
  EXPECT_EQ(a.key.method_text, "FOO");
  EXPECT_TRUE(same_transaction(a.key, b.key));
  EXPECT_FALSE(same_transaction(a.key, c.key));
}

TEST(TransactionKey, ResponseMatchesItsClientTransaction) {
  // §17.1.3: branch of the top Via and the CSeq method.
  Keyed inv(request("INVITE", kVia));
  Keyed ringing(response(180, kVia, "INVITE"));
  Keyed cancel_ok(response(200, kVia, "CANCEL"));
  ASSERT_TRUE(inv.made && ringing.made && cancel_ok.made);
  EXPECT_EQ(ringing.key.method, Method::invite);
  EXPECT_TRUE(same_transaction(inv.key, ringing.key));
  EXPECT_EQ(hash_transaction_key(inv.key), hash_transaction_key(ringing.key));
  EXPECT_FALSE(same_transaction(inv.key, cancel_ok.key));
}

TEST(TransactionKey, Rfc2543Fallback) {
  Keyed a(request("INVITE", kOldVia));
  Keyed b(request("INVITE", kOldVia));
  ASSERT_TRUE(a.made && b.made);
  EXPECT_FALSE(a.key.rfc3261);
  EXPECT_EQ(a.key.request_uri, "sip:bob@biloxi.example.com");
  EXPECT_EQ(a.key.from_tag, "1928301774");
  EXPECT_EQ(a.key.call_id, "a84b4c76e66710");
  EXPECT_EQ(a.key.cseq, 314159u);
  EXPECT_EQ(a.key.to_tag, "");
  EXPECT_TRUE(same_transaction(a.key, b.key));
  EXPECT_EQ(hash_transaction_key(a.key), hash_transaction_key(b.key));

  Keyed other_from(request("INVITE", kOldVia, {}, "<sip:bob@biloxi.example.com>", "differenttag"));
  Keyed other_call(
      request("INVITE", kOldVia, {}, "<sip:bob@biloxi.example.com>", "1928301774", "other-call"));
  Keyed other_ruri(request("INVITE", kOldVia, {}, "<sip:bob@biloxi.example.com>", "1928301774",
                           "a84b4c76e66710", "sip:carol@chicago.example.com"));
  Keyed other_cseq(request("INVITE", kOldVia, {}, "<sip:bob@biloxi.example.com>", "1928301774",
                           "a84b4c76e66710", "sip:bob@biloxi.example.com", "314160"));
  Keyed other_via(request("INVITE", "SIP/2.0/UDP elsewhere.example.com:5060"));
  for (const Keyed* k : {&other_from, &other_call, &other_ruri, &other_cseq, &other_via}) {
    ASSERT_TRUE(k->made);
    EXPECT_FALSE(same_transaction(a.key, k->key)) << k->p.buf;
  }
}

TEST(TransactionKey, OldStyleBranchIsNotRfc3261) {
  Keyed old_branch(request("INVITE", "SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=74bf9"));
  Keyed new_branch(request("INVITE", kVia));
  ASSERT_TRUE(old_branch.made && new_branch.made);
  EXPECT_FALSE(old_branch.key.rfc3261);
  EXPECT_FALSE(same_transaction(old_branch.key, new_branch.key));
}

TEST(TransactionKey, UnparsableTopVia) {
  // parse() rejects it (bad_via); the partial Message must not yield a key either.
  test::Parsed p(request("INVITE", "this is not a via"));
  EXPECT_EQ(p.r.status, ParseStatus::error);
  EXPECT_EQ(p.r.error, ParseError::bad_via);
  TransactionKey k;
  EXPECT_FALSE(make_transaction_key(p.msg, k));
}

TEST(TransactionKey, KeyUsesTheTopViaOnly) {
  // A second Via below does not matter; a different top Via does.
  Keyed a(request("INVITE", std::string(kVia) + ", SIP/2.0/UDP below.example.com;branch=z9hG4bKbelow"));
  Keyed b(request("INVITE", kVia));
  ASSERT_TRUE(a.made && b.made);
  EXPECT_EQ(a.key.branch, "z9hG4bK74bf9");
  EXPECT_TRUE(same_transaction(a.key, b.key));
}

// The hash takes every field that same_transaction() compares exactly, so keys a sender varies in one
// of them do not pile up on one hash value; it is keyed, and fields are length-prefixed.
TEST(TransactionKeyHash, EveryExactlyComparedFieldCounts) {
  TransactionKey base;
  base.rfc3261 = false;
  base.method_text = "INVITE";
  base.request_uri = "sip:bob@example.com";
  base.from_tag = "f1";
  base.call_id = "c1";
  base.cseq = 1;
  base.top_via = "SIP/2.0/UDP 10.0.0.1:5060";
  const std::size_t h = hash_transaction_key(base);
  auto differs = [&](auto change) {
    TransactionKey k = base;
    change(k);
    return hash_transaction_key(k) != h;
  };
  EXPECT_TRUE(differs([](TransactionKey& k) { k.method_text = "BYE"; }));
  EXPECT_TRUE(differs([](TransactionKey& k) { k.request_uri = "sip:carol@example.com"; }));
  EXPECT_TRUE(differs([](TransactionKey& k) { k.from_tag = "f2"; }));
  EXPECT_TRUE(differs([](TransactionKey& k) { k.call_id = "c2"; }));
  EXPECT_TRUE(differs([](TransactionKey& k) { k.cseq = 2; }));
  EXPECT_TRUE(differs([](TransactionKey& k) { k.top_via = "SIP/2.0/UDP 10.0.0.2:5060"; }));
  // A field boundary moved: ("f1c", "1") against ("f1", "c1").
  EXPECT_TRUE(differs([](TransactionKey& k) {
    k.from_tag = "f1c";
    k.call_id = "1";
  }));
  // Not hashed (compared otherwise or not at all): the To tag.
  EXPECT_FALSE(differs([](TransactionKey& k) { k.to_tag = "t9"; }));
}

TEST(TransactionKeyHash, LongFieldsAreHashedWhole) {
  // Longer than the hasher's buffer: a difference near the end still counts.
  std::string a(1000, 'x'), b = a;
  b[990] = 'y';
  TransactionKey ka;
  ka.rfc3261 = true;
  ka.method_text = "INVITE";
  ka.branch = a;
  TransactionKey kb = ka;
  kb.branch = b;
  EXPECT_NE(hash_transaction_key(ka), hash_transaction_key(kb));
  TransactionKey again = ka;
  const std::string copy = a;
  again.branch = copy;
  EXPECT_EQ(hash_transaction_key(ka), hash_transaction_key(again));
  // The client side's hash is the same function of branch and method.
  EXPECT_EQ(hash_client_key(a, "INVITE"), hash_transaction_key(ka));
}

}  // namespace
}  // namespace duet::sip
