#include "duet/transport/address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

namespace duet::transport {

namespace {

// Dotted-quad IPv4 as inet_pton(AF_INET) reads it (four decimal octets, no leading zeros), without
// the copy to a terminated string and the generic parser: the proxy reads every Contact, Route and
// Via host this way, several times a call.
bool parse_ipv4(std::string_view s, in_addr& out) noexcept {
  std::uint32_t addr = 0;
  int octets = 0;
  std::size_t i = 0;
  while (true) {
    if (i == s.size() || s[i] < '0' || s[i] > '9') return false;
    unsigned v = 0;
    const std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      v = v * 10 + static_cast<unsigned>(s[i] - '0');
      if (v > 255 || (i > start && s[start] == '0')) return false;
      ++i;
    }
    addr = (addr << 8) | v;
    if (++octets == 4) break;
    if (i == s.size() || s[i] != '.') return false;
    ++i;
  }
  if (i != s.size()) return false;
  out.s_addr = htonl(addr);
  return true;
}

}  // namespace

bool make_sockaddr(std::string_view ip, std::uint16_t port, sockaddr_storage& out) noexcept {
  if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
  if (ip.empty() || ip.size() >= kIpStrLen) return false;
  std::memset(&out, 0, sizeof out);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out);
  if (parse_ipv4(ip, v4->sin_addr)) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    return true;
  }
  if (ip.find(':') == std::string_view::npos) return false;  // a host name, or nothing
  char buf[kIpStrLen];
  std::memcpy(buf, ip.data(), ip.size());
  buf[ip.size()] = '\0';
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out);
  if (inet_pton(AF_INET6, buf, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    return true;
  }
  std::memset(&out, 0, sizeof out);
  return false;
}

std::uint16_t sockaddr_port(const sockaddr_storage& a) noexcept {
  if (a.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(a).sin_port);
  if (a.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(a).sin6_port);
  return 0;
}

void set_sockaddr_port(sockaddr_storage& a, std::uint16_t port) noexcept {
  if (a.ss_family == AF_INET) reinterpret_cast<sockaddr_in&>(a).sin_port = htons(port);
  if (a.ss_family == AF_INET6) reinterpret_cast<sockaddr_in6&>(a).sin6_port = htons(port);
}

socklen_t sockaddr_len(const sockaddr_storage& a) noexcept {
  return a.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

std::string_view sockaddr_ip(const sockaddr_storage& a, char* buf, std::size_t cap) noexcept {
  const void* src = nullptr;
  if (a.ss_family == AF_INET && cap >= INET_ADDRSTRLEN) {
    // By hand: glibc's inet_ntop formats IPv4 with sprintf, a visible share of a REGISTER's CPU
    // (every response's Via gets received=).
    const auto* b = reinterpret_cast<const unsigned char*>(&reinterpret_cast<const sockaddr_in&>(a).sin_addr);
    char* p = buf;
    for (int i = 0; i < 4; ++i) {
      const unsigned v = b[i];
      if (v >= 100) *p++ = static_cast<char>('0' + v / 100);
      if (v >= 10) *p++ = static_cast<char>('0' + v / 10 % 10);
      *p++ = static_cast<char>('0' + v % 10);
      if (i < 3) *p++ = '.';
    }
    *p = '\0';
    return std::string_view(buf, static_cast<std::size_t>(p - buf));
  }
  if (a.ss_family == AF_INET) src = &reinterpret_cast<const sockaddr_in&>(a).sin_addr;
  if (a.ss_family == AF_INET6) src = &reinterpret_cast<const sockaddr_in6&>(a).sin6_addr;
  if (!src || !inet_ntop(a.ss_family, src, buf, static_cast<socklen_t>(cap))) return {};
  return std::string_view(buf);
}

std::string sockaddr_to_string(const sockaddr_storage& a) {
  char ip[kIpStrLen];
  const auto text = sockaddr_ip(a, ip, sizeof ip);
  if (text.empty()) return "?";
  std::string out;
  if (a.ss_family == AF_INET6) {
    out.append("[").append(text).append("]");
  } else {
    out.append(text);
  }
  out.append(":").append(std::to_string(sockaddr_port(a)));
  return out;
}

bool sockaddr_same_ip(const sockaddr_storage& a, const sockaddr_storage& b) noexcept {
  if (a.ss_family != b.ss_family) return false;
  if (a.ss_family == AF_INET) {
    return reinterpret_cast<const sockaddr_in&>(a).sin_addr.s_addr ==
           reinterpret_cast<const sockaddr_in&>(b).sin_addr.s_addr;
  }
  if (a.ss_family == AF_INET6) {
    return std::memcmp(&reinterpret_cast<const sockaddr_in6&>(a).sin6_addr,
                       &reinterpret_cast<const sockaddr_in6&>(b).sin6_addr, sizeof(in6_addr)) == 0;
  }
  return false;
}

bool sockaddr_equal(const sockaddr_storage& a, const sockaddr_storage& b) noexcept {
  return sockaddr_same_ip(a, b) && sockaddr_port(a) == sockaddr_port(b);
}

}  // namespace duet::transport
