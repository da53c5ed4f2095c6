#include "local_identity.hpp"

#include <gtest/gtest.h>

namespace duet::server {
namespace {

sip::Uri uri(std::string_view text) {
  sip::Uri u;
  EXPECT_TRUE(sip::parse_uri(text, u)) << text;
  return u;
}

TEST(LocalIdentity, ListenAddressesDomainsAndUserlessUris) {
  config::Config c;
  c.listeners = {{transport::Proto::udp, "192.0.2.1", 5060}, {transport::Proto::udp, "::1", 5060}};
  c.registrar.domains = {"Example.com"};
  LocalIdentity id(c);
  EXPECT_TRUE(id.is_local(uri("sip:192.0.2.1")));
  EXPECT_TRUE(id.is_local(uri("sip:bob@192.0.2.1:5060")));
  EXPECT_TRUE(id.is_local(uri("sip:bob@[0:0::1]")));
  EXPECT_TRUE(id.is_local(uri("sip:bob@EXAMPLE.COM")));
  EXPECT_TRUE(id.is_local(uri("sip:other.org")));  // no user part: addressed to the server
  EXPECT_FALSE(id.is_local(uri("sip:bob@other.org")));
  EXPECT_FALSE(id.is_local(uri("sip:bob@192.0.2.2")));
  EXPECT_FALSE(id.is_local(uri("tel:+15551234")));
}

TEST(LocalIdentity, NoDomainsConfiguredMeansEveryDomainIsOurs) {
  config::Config c;
  LocalIdentity id(c);
  EXPECT_TRUE(id.is_local(uri("sip:bob@anything.test")));
}

}  // namespace
}  // namespace duet::server
