#include <gtest/gtest.h>

#include "duet/registrar/aor_key.hpp"
#include "duet/sip/message.hpp"

namespace duet::registrar {
namespace {

AorStatus key_of(std::string_view uri_text, AorKeyBuffer& buf, AorKey& k) {
  sip::Uri u;
  if (!sip::parse_uri(uri_text, u)) return AorStatus::bad_to;
  return aor_key_from_uri(u, buf, k);
}

TEST(AorKey, NormalisesUserEscapesAndHostCase) {
  AorKeyBuffer b1, b2;
  AorKey k1, k2;
  ASSERT_EQ(key_of("sip:alice@example.com", b1, k1), AorStatus::ok);
  ASSERT_EQ(key_of("sips:%61lice@EXAMPLE.com:5061;transport=tls", b2, k2), AorStatus::ok);
  EXPECT_EQ(k1.user, "alice");
  EXPECT_EQ(k2.user, "alice");
  EXPECT_EQ(k2.domain, "example.com");
  EXPECT_EQ(k1.hash, k2.hash);
}

TEST(AorKey, UserCaseMattersAndDomainsDiffer) {
  AorKeyBuffer b1, b2, b3;
  AorKey k1, k2, k3;
  ASSERT_EQ(key_of("sip:alice@example.com", b1, k1), AorStatus::ok);
  ASSERT_EQ(key_of("sip:Alice@example.com", b2, k2), AorStatus::ok);
  ASSERT_EQ(key_of("sip:alice@example.org", b3, k3), AorStatus::ok);
  EXPECT_NE(k1.hash, k2.hash);
  EXPECT_NE(k1.hash, k3.hash);
}

TEST(AorKey, RejectsBadInput) {
  AorKeyBuffer b;
  AorKey k;
  EXPECT_EQ(key_of("tel:+1555", b, k), AorStatus::not_sip);
  // The URI parser may already refuse a broken escape; either way no key comes out.
  EXPECT_NE(key_of("sip:al%4@example.com", b, k), AorStatus::ok);
  EXPECT_NE(key_of("sip:al%zz@example.com", b, k), AorStatus::ok);
  sip::Uri u;
  ASSERT_TRUE(sip::parse_uri("sip:alice@example.com", u));
  u.user = "al%4";  // as a lenient parser might hand it over
  EXPECT_EQ(aor_key_from_uri(u, b, k), AorStatus::bad_escape);
  u.user = "al%g1";
  EXPECT_EQ(aor_key_from_uri(u, b, k), AorStatus::bad_escape);
  EXPECT_EQ(key_of("sip:" + std::string(300, 'a') + "@example.com", b, k), AorStatus::too_long);
}

TEST(AorKey, FromRequestAndShardSpread) {
  const std::string text =
      "REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nMax-Forwards: 70\r\n"
      "To: Bob <sip:bob@Example.com>\r\nFrom: <sip:bob@example.com>;tag=1\r\nCall-ID: c\r\n"
      "CSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n";
  sip::Message m;
  ASSERT_EQ(sip::parse(text, m).status, sip::ParseStatus::ok);
  AorKeyBuffer b;
  AorKey k;
  ASSERT_EQ(aor_key_from_request(m, b, k), AorStatus::ok);
  EXPECT_EQ(k.user, "bob");
  EXPECT_EQ(k.domain, "example.com");
  EXPECT_EQ(shard_of(k.hash, 1), 0);
  // Many users spread over 4 shards roughly evenly.
  int counts[4] = {};
  for (int i = 0; i < 4000; ++i) {
    const std::string u = "user" + std::to_string(i);
    counts[shard_of(aor_hash(u, "example.com"), 4)]++;
  }
  for (int c : counts) {
    EXPECT_GT(c, 850);
    EXPECT_LT(c, 1150);
  }
}

}  // namespace
}  // namespace duet::registrar
