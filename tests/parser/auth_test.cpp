// Digest credentials and challenges (RFC 3261 §22.4, §25.1; RFC 2617 / RFC 7616 syntax).
#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

#include "duet/sip/auth.hpp"

namespace duet::sip {
namespace {

TEST(Credentials, Rfc3261StyleAuthorization) {
  DigestCredentials c;
  ASSERT_TRUE(parse_credentials(
      "Digest username=\"bob\", realm=\"biloxi.com\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
      "uri=\"sip:bob@biloxi.com\", qop=auth, nc=00000001, cnonce=\"0a4f113b\", "
      "response=\"6629fae49393a05397450978507c4ef1\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
      c));
  EXPECT_EQ(c.scheme, "Digest");
  EXPECT_EQ(c.username, "bob");
  EXPECT_EQ(c.realm, "biloxi.com");
  EXPECT_EQ(c.nonce, "dcd98b7102dd2f0e8b11d0f600bfb0c093");
  EXPECT_EQ(c.uri, "sip:bob@biloxi.com");
  EXPECT_EQ(c.qop, "auth");
  EXPECT_EQ(c.nc, "00000001");
  EXPECT_EQ(c.cnonce, "0a4f113b");
  EXPECT_EQ(c.response, "6629fae49393a05397450978507c4ef1");
  EXPECT_EQ(c.opaque, "5ccc069c403ebaf9f0171e9517f40e41");
  EXPECT_EQ(c.algorithm, "");
  EXPECT_EQ(c.params.substr(0, 15), "username=\"bob\",");
}

TEST(Credentials, UnquotedAlgorithmUnknownParamsFoldingAndOddSpacing) {
  DigestCredentials c;
  ASSERT_TRUE(parse_credentials(
      "Digest  username = \"alice\" ,realm=\"atlanta.com\",\r\n  x-unknown=\"a, b\", algorithm=MD5 ,"
      "nonce=\"84a4cc6f3082121f32b42a2187831a9e\",uri=\"sip:atlanta.com\",response="
      "\"7587245234b3434cc3412213e5f113a5\"",
      c));
  EXPECT_EQ(c.username, "alice");
  EXPECT_EQ(c.realm, "atlanta.com");
  EXPECT_EQ(c.algorithm, "MD5");
  EXPECT_EQ(c.nonce, "84a4cc6f3082121f32b42a2187831a9e");
  EXPECT_EQ(c.response, "7587245234b3434cc3412213e5f113a5");
}

TEST(Credentials, ParamNamesAndSchemeAreCaseInsensitive) {
  DigestCredentials c;
  ASSERT_TRUE(
      parse_credentials("digest USERNAME=\"carol\", Realm=\"chicago.com\", NONCE=\"n\", Uri=\"sip:c\","
                        " Response=\"r\"",
                        c));
  EXPECT_EQ(c.scheme, "digest");
  EXPECT_EQ(c.username, "carol");
  EXPECT_EQ(c.realm, "chicago.com");
  EXPECT_EQ(c.nonce, "n");
  EXPECT_EQ(c.uri, "sip:c");
  EXPECT_EQ(c.response, "r");
}

TEST(Credentials, EscapedQuoteDoesNotEndTheValue) {
  DigestCredentials c;
  ASSERT_TRUE(parse_credentials("Digest username=\"bo\\\"b, jr\", realm=\"x.com\"", c));
  EXPECT_EQ(c.username, "bo\\\"b, jr");
  EXPECT_EQ(c.realm, "x.com");
}

TEST(Credentials, OtherSchemeStillSplitsParams) {
  DigestCredentials c;
  ASSERT_TRUE(parse_credentials("NewScheme realm=\"example.com\", token=abc", c));
  EXPECT_EQ(c.scheme, "NewScheme");
  EXPECT_EQ(c.realm, "example.com");
}

TEST(Credentials, Malformed) {
  for (const char* text : {"", "Digest", "Digest realm=\"unterminated", "Digest realm=", "Digest =x",
                           "Digest realm=\"a\" nonce=\"b\"", "Digest realm=a b"}) {
    DigestCredentials c;
    EXPECT_FALSE(parse_credentials(text, c)) << '"' << text << '"';
  }
}

TEST(Challenge, WwwAuthenticate) {
  DigestChallenge ch;
  ASSERT_TRUE(
      parse_challenge("Digest realm=\"atlanta.com\", domain=\"sip:ss1.carrier.com\", qop=\"auth,auth-int\", "
                      "nonce=\"f84f1cec41e6cbe5aea9c8e88d359\", opaque=\"\", stale=FALSE, algorithm=SHA-256",
                      ch));
  EXPECT_EQ(ch.scheme, "Digest");
  EXPECT_EQ(ch.realm, "atlanta.com");
  EXPECT_EQ(ch.domain, "sip:ss1.carrier.com");
  EXPECT_EQ(ch.qop, "auth,auth-int");
  EXPECT_EQ(ch.nonce, "f84f1cec41e6cbe5aea9c8e88d359");
  EXPECT_EQ(ch.opaque, "");
  EXPECT_EQ(ch.stale, "FALSE");
  EXPECT_EQ(ch.algorithm, "SHA-256");
}

TEST(Challenge, Malformed) {
  DigestChallenge ch;
  EXPECT_FALSE(parse_challenge("Digest realm=\"atlanta.com\", nonce=\"abc", ch));
  EXPECT_FALSE(parse_challenge("", ch));
}

TEST(AuthParamIterator, NamesValuesAndQuoting) {
  AuthParamIterator it("a=1, b=\"x,y\" ,c=z,d=\"\"");
  std::vector<std::tuple<std::string, std::string, bool>> got;
  std::string_view n, v;
  bool q = false;
  for (int guard = 0; guard < 10 && it.next(n, v, q); ++guard) got.emplace_back(n, v, q);
  EXPECT_TRUE(it.ok());
  const std::vector<std::tuple<std::string, std::string, bool>> expected = {
      {"a", "1", false}, {"b", "x,y", true}, {"c", "z", false}, {"d", "", true}};
  EXPECT_EQ(got, expected);
}

TEST(AuthParamIterator, Malformed) {
  AuthParamIterator it("a=1, b, c=2");
  std::string_view n, v;
  bool q = false;
  int count = 0;
  while (count < 10 && it.next(n, v, q)) ++count;
  EXPECT_FALSE(it.ok());
  EXPECT_EQ(count, 1);
}

}  // namespace
}  // namespace duet::sip
