// URI comparison (RFC 3261 §19.1.4), with the equal and not-equal examples of that section.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "duet/sip/uri.hpp"

namespace duet::sip {
namespace {

struct Pair {
  const char* a;
  const char* b;
};

// Checks both directions: the relation is symmetric.
::testing::AssertionResult equal_uris(const char* a, const char* b) {
  Uri ua, ub;
  if (!parse_uri(a, ua)) return ::testing::AssertionFailure() << "cannot parse " << a;
  if (!parse_uri(b, ub)) return ::testing::AssertionFailure() << "cannot parse " << b;
  const bool ab = uri_equal(ua, ub), ba = uri_equal(ub, ua);
  if (ab != ba) return ::testing::AssertionFailure() << "asymmetric: " << a << " / " << b;
  if (!ab) return ::testing::AssertionFailure() << a << " != " << b;
  return ::testing::AssertionSuccess() << a << " == " << b;
}

TEST(UriEqual, Rfc3261EquivalentExamples) {
  const Pair pairs[] = {
      {"sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp"},
      {"sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"},
      {"sip:carol@chicago.com", "sip:carol@chicago.com;security=on"},
      {"sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on"},
      {"sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
       "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com"},
      {"sip:alice@atlanta.com?subject=project%20x&priority=urgent",
       "sip:alice@atlanta.com?priority=urgent&subject=project%20x"},
  };
  for (const auto& p : pairs) EXPECT_TRUE(equal_uris(p.a, p.b));
}

TEST(UriEqual, Rfc3261NotEquivalentExamples) {
  const Pair pairs[] = {
      {"SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP"},  // different usernames
      {"sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"},                // can resolve to other ports
      {"sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"},       // can resolve to other transports
      {"sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp"},  // port and transport differ
      {"sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting"},  // header component
      {"sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"},  // even if that is what the name resolves to
  };
  for (const auto& p : pairs) EXPECT_FALSE(equal_uris(p.a, p.b));
}

TEST(UriEqual, ParamsThatMustMatchWhenPresentInEither) {
  // user, ttl, method and maddr never match when present in only one URI; neither does transport
  // per the examples above.
  const Pair pairs[] = {
      {"sip:bob@biloxi.com", "sip:bob@biloxi.com;user=phone"},
      {"sip:bob@biloxi.com", "sip:bob@biloxi.com;ttl=1"},
      {"sip:bob@biloxi.com", "sip:bob@biloxi.com;method=INVITE"},
      {"sip:bob@biloxi.com", "sip:bob@biloxi.com;maddr=239.255.255.1"},
      {"sip:bob@biloxi.com;user=ip", "sip:bob@biloxi.com;user=phone"},
      {"sip:bob@biloxi.com;security=on", "sip:bob@biloxi.com;security=off"},  // present in both: must match
  };
  for (const auto& p : pairs) EXPECT_FALSE(equal_uris(p.a, p.b));
}

// §19.1.4: an escaped character in a parameter name is the character (RFC 4475 esc01).
TEST(UriEqual, EscapedParameterNamesAreTheNames) {
  EXPECT_TRUE(equal_uris("sip:a@h;tr%61nsport=tcp", "sip:a@h;transport=TCP"));
  EXPECT_FALSE(equal_uris("sip:a@h;tr%61nsport=tcp", "sip:a@h;transport=udp"));
  // transport present in one only never matches, escaped or not.
  EXPECT_FALSE(equal_uris("sip:a@h;tr%61nsport=tcp", "sip:a@h"));
  EXPECT_TRUE(equal_uris("sip:a@h;n%61me=x;lr", "sip:a@h;NAME=x"));
  EXPECT_FALSE(equal_uris("sip:a@h;n%61me=x", "sip:a@h;name=y"));
}

TEST(UriEqual, MoreEquivalences) {
  const Pair pairs[] = {
      {"sip:bob@biloxi.com;lr", "sip:bob@biloxi.com"},  // lr only in one: ignored
      {"sip:bob@biloxi.com:5060", "sip:bob@biloxi.com:5060"},
      {"sip:bob@BILOXI.com;MADDR=239.255.255.1", "sip:bob@biloxi.COM;maddr=239.255.255.1"},
      {"sip:[2001:DB8::1]:5070", "sip:[2001:db8::1]:5070"},  // host is case-insensitive
      {"sip:bob:pw@biloxi.com", "sip:%62ob:%70w@biloxi.com"},
      {"sips:bob@biloxi.com", "SIPS:bob@biloxi.com"},
      {"tel:+1-201-555-0123", "tel:+1-201-555-0123"},
  };
  for (const auto& p : pairs) EXPECT_TRUE(equal_uris(p.a, p.b));
}

TEST(UriEqual, MoreDifferences) {
  const Pair pairs[] = {
      {"sip:bob@biloxi.com", "sips:bob@biloxi.com"},       // scheme
      {"sip:bob:pw@biloxi.com", "sip:bob:PW@biloxi.com"},  // password is case-sensitive
      {"sip:bob:pw@biloxi.com", "sip:bob@biloxi.com"},
      {"sip:bob@biloxi.com", "sip:biloxi.com"},  // user present in one only
      {"sip:bob@biloxi.com", "sip:bob@biloxi.com.org"},
      {"sip:bob@biloxi.com:5060", "sip:bob@biloxi.com:5061"},
      {"sip:bob@biloxi.com?subject=a", "sip:bob@biloxi.com?subject=b"},
      {"sip:bob@biloxi.com?subject=a", "sip:bob@biloxi.com?subject=a&priority=urgent"},
      {"sip:bob@biloxi.com;transport=tcp", "sip:bob@biloxi.com;transport=udp"},
  };
  for (const auto& p : pairs) EXPECT_FALSE(equal_uris(p.a, p.b));
}

}  // namespace
}  // namespace duet::sip
