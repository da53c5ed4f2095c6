// transport/src/address.cpp: the text of an address, as inet_ntop would write it.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>
#include <random>

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

}  // namespace
}  // namespace duet::transport
