#include "stun.hpp"

#include <cstring>

namespace duet::transport {

namespace {
constexpr std::uint32_t kMagicCookie = 0x2112A442;
constexpr std::uint16_t kBindingRequest = 0x0001;
constexpr std::uint16_t kBindingSuccess = 0x0101;
constexpr std::uint16_t kXorMappedAddress = 0x0020;

std::uint16_t be16(const char* p) noexcept {
  return static_cast<std::uint16_t>((static_cast<std::uint8_t>(p[0]) << 8) | static_cast<std::uint8_t>(p[1]));
}
std::uint32_t be32(const char* p) noexcept {
  return (std::uint32_t{be16(p)} << 16) | be16(p + 2);
}
void put16(std::uint8_t* p, std::uint16_t v) noexcept {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
}  // namespace

bool looks_like_stun(std::string_view d) noexcept {
  return d.size() >= 20 && (static_cast<std::uint8_t>(d[0]) & 0xC0) == 0 &&
         be32(d.data() + 4) == kMagicCookie;
}

std::size_t stun_binding_response(std::string_view d, const sockaddr_storage& from,
                                  std::uint8_t (&out)[kStunResponseMax]) noexcept {
  if (!looks_like_stun(d) || be16(d.data()) != kBindingRequest) return 0;
  // The length counts the attributes after the 20-byte header, in whole 4-byte words (§6).
  const std::uint16_t len = be16(d.data() + 2);
  if (len % 4 != 0 || d.size() != 20u + len) return 0;
  // Header: the type, the length, the cookie and the request's transaction ID, echoed.
  std::memset(out, 0, sizeof out);
  put16(out, kBindingSuccess);
  std::memcpy(out + 4, d.data() + 4, 16);
  std::uint8_t* a = out + 20;
  put16(a, kXorMappedAddress);
  // The address the request came from, XORed with the cookie (and for IPv6 the transaction ID) so
  // that middleboxes rewriting addresses in payloads leave it alone (§15.2).
  std::size_t value_len;
  if (from.ss_family == AF_INET) {
    const auto& s = reinterpret_cast<const sockaddr_in&>(from);
    a[5] = 0x01;
    put16(a + 6, static_cast<std::uint16_t>(ntohs(s.sin_port) ^ (kMagicCookie >> 16)));
    std::uint8_t addr[4];
    std::memcpy(addr, &s.sin_addr, 4);
    for (int i = 0; i < 4; ++i) a[8 + i] = addr[i] ^ out[4 + i];
    value_len = 8;
  } else if (from.ss_family == AF_INET6) {
    const auto& s = reinterpret_cast<const sockaddr_in6&>(from);
    a[5] = 0x02;
    put16(a + 6, static_cast<std::uint16_t>(ntohs(s.sin6_port) ^ (kMagicCookie >> 16)));
    std::uint8_t addr[16];
    std::memcpy(addr, &s.sin6_addr, 16);
    for (int i = 0; i < 16; ++i) a[8 + i] = addr[i] ^ out[4 + i];  // cookie + transaction ID
    value_len = 20;
  } else {
    return 0;
  }
  put16(a + 2, static_cast<std::uint16_t>(value_len));
  put16(out + 2, static_cast<std::uint16_t>(4 + value_len));
  return 20 + 4 + value_len;
}

}  // namespace duet::transport
