// transport/src/address.cpp: the text of an address, as inet_ntop would write it, and addresses read
// from text as inet_pton reads them.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "duet/transport/address.hpp"

namespace duet::transport {
namespace {

std::string by_libc(const sockaddr_storage& a) {
  char buf[INET6_ADDRSTRLEN];
  const void* src = a.ss_family == AF_INET
                        ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in&>(a).sin_addr)
                        : static_cast<const void*>(&reinterpret_cast<const sockaddr_in6&>(a).sin6_addr);
  return inet_ntop(a.ss_family, src, buf, sizeof buf);
}

TEST(Address, Ipv4TextMatchesInetNtop) {
  std::mt19937 rng(7);
  for (int i = 0; i < 20000; ++i) {
    sockaddr_storage a{};
    auto& in = reinterpret_cast<sockaddr_in&>(a);
    in.sin_family = AF_INET;
    // Every byte value in every position, then random ones.
    const std::uint32_t v =
        i < 1024 ? (static_cast<std::uint32_t>(i % 256) * 0x01010101u) ^ (i < 256 ? 0 : 0x00ff00ffu)
                 : static_cast<std::uint32_t>(rng());
    std::memcpy(&in.sin_addr, &v, 4);
    char buf[kIpStrLen];
    ASSERT_EQ(sockaddr_ip(a, buf, sizeof buf), by_libc(a)) << v;
  }
}

TEST(Address, Ipv6TextAndShortBuffers) {
  sockaddr_storage a{};
  ASSERT_TRUE(make_sockaddr("2001:db8::1", 5060, a));
  char buf[kIpStrLen];
  EXPECT_EQ(sockaddr_ip(a, buf, sizeof buf), "2001:db8::1");
  ASSERT_TRUE(make_sockaddr("255.255.255.255", 5060, a));
  EXPECT_EQ(sockaddr_ip(a, buf, sizeof buf), "255.255.255.255");
  char small[8];
  EXPECT_TRUE(sockaddr_ip(a, small, sizeof small).empty());  // too short for it: nothing written
}

// make_sockaddr reads IPv4 itself: it must accept and refuse exactly what inet_pton does.
TEST(Address, Ipv4ParsingAgreesWithInetPton) {
  std::vector<std::string> cases = {
      "0.0.0.0",     "127.0.0.1", "255.255.255.255", "256.1.1.1",  "1.2.3",     "1.2.3.4.5", "01.2.3.4",
      "1.2.3.04",    "1.2.3.0",   "1..3.4",          ".1.2.3",     "1.2.3.4.",  "1.2.3.4 ",  " 1.2.3.4",
      "1.2.3.a",     "1.2.3.-4",  "1234.1.1.1",      "999.0.0.1",  "00.0.0.0",  "1.2.3.4x",  "a.b.c.d",
      "example.com", "1",         "4294967295",      "0x7f.0.0.1", "1.2.3.255", "1.2.3.256", "10.0.0.1:5060"};
  std::mt19937 rng(11);
  const char alphabet[] = "0123456789..x";
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    const int len = 1 + static_cast<int>(rng() % 16);
    for (int j = 0; j < len; ++j) s.push_back(alphabet[rng() % (sizeof alphabet - 1)]);
    cases.push_back(s);
  }
  for (const auto& c : cases) {
    in_addr libc{};
    const bool expected = inet_pton(AF_INET, c.c_str(), &libc) == 1;
    sockaddr_storage a{};
    const bool ours = make_sockaddr(c, 5060, a);
    ASSERT_EQ(ours && a.ss_family == AF_INET, expected) << "'" << c << "'";
    if (expected) {
      const auto& in = reinterpret_cast<const sockaddr_in&>(a);
      EXPECT_EQ(in.sin_addr.s_addr, libc.s_addr) << c;
      EXPECT_EQ(ntohs(in.sin_port), 5060);
    }
  }
  sockaddr_storage a{};
  EXPECT_TRUE(make_sockaddr("[::1]", 5, a));
  EXPECT_EQ(a.ss_family, AF_INET6);
  EXPECT_FALSE(make_sockaddr("::g", 5, a));
  EXPECT_FALSE(make_sockaddr("", 5, a));
}

}  // namespace
}  // namespace duet::transport
