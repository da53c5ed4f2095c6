#include "flow_token.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>

#include "duet/transport/address.hpp"

namespace duet::proxy {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_hex(std::string& out, std::uint64_t v) {
  char buf[17];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, 16);
  out.append(buf, r.ptr);
}

bool read_hex(std::string_view& s, std::uint64_t& v) noexcept {
  const auto dot = s.find('.');
  const std::string_view part = s.substr(0, dot);
  if (part.empty()) return false;
  const auto r = std::from_chars(part.data(), part.data() + part.size(), v, 16);
  if (r.ec != std::errc() || r.ptr != part.data() + part.size()) return false;
  s = dot == std::string_view::npos ? std::string_view{} : s.substr(dot + 1);
  return true;
}

}  // namespace

void append_flow_token(std::string& out, const transport::Source& src) {
  const std::uint8_t* addr = nullptr;
  std::size_t alen = 0;
  std::uint16_t port = 0;
  if (src.peer.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(src.peer);
    addr = reinterpret_cast<const std::uint8_t*>(&in.sin_addr);
    alen = 4;
    port = ntohs(in.sin_port);
  } else if (src.peer.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(src.peer);
    addr = reinterpret_cast<const std::uint8_t*>(&in6.sin6_addr);
    alen = 16;
    port = ntohs(in6.sin6_port);
  } else {
    return;
  }
  out.push_back(src.proto == transport::Proto::udp ? 'u' : src.proto == transport::Proto::tcp ? 't' : 's');
  append_hex(out, src.worker);
  out.push_back('.');
  append_hex(out, src.conn_id);
  out.push_back('.');
  for (std::size_t i = 0; i < alen; ++i) {
    out.push_back(kHex[addr[i] >> 4]);
    out.push_back(kHex[addr[i] & 15]);
  }
  out.push_back('.');
  append_hex(out, port);
}

bool parse_flow_token(std::string_view t, transport::Source& out) noexcept {
  if (t.size() < 2) return false;
  switch (t[0]) {
    case 'u':
      out.proto = transport::Proto::udp;
      break;
    case 't':
      out.proto = transport::Proto::tcp;
      break;
    case 's':
      out.proto = transport::Proto::tls;
      break;
    default:
      return false;
  }
  t.remove_prefix(1);
  std::uint64_t worker = 0, conn = 0, port = 0;
  if (!read_hex(t, worker) || worker > 0xFFFF || !read_hex(t, conn)) return false;
  const auto dot = t.find('.');
  if (dot == std::string_view::npos) return false;
  const std::string_view hex = t.substr(0, dot);
  t.remove_prefix(dot + 1);
  if ((hex.size() != 8 && hex.size() != 32) || !read_hex(t, port) || port > 0xFFFF || !t.empty())
    return false;
  std::uint8_t addr[16];
  for (std::size_t i = 0; i < hex.size() / 2; ++i) {
    std::uint8_t v = 0;
    const auto r = std::from_chars(hex.data() + 2 * i, hex.data() + 2 * i + 2, v, 16);
    if (r.ec != std::errc() || r.ptr != hex.data() + 2 * i + 2) return false;
    addr[i] = v;
  }
  std::memset(&out.peer, 0, sizeof out.peer);
  if (hex.size() == 8) {
    auto& in = reinterpret_cast<sockaddr_in&>(out.peer);
    in.sin_family = AF_INET;
    in.sin_port = htons(static_cast<std::uint16_t>(port));
    std::memcpy(&in.sin_addr, addr, 4);
  } else {
    auto& in6 = reinterpret_cast<sockaddr_in6&>(out.peer);
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(static_cast<std::uint16_t>(port));
    std::memcpy(&in6.sin6_addr, addr, 16);
  }
  out.worker = static_cast<std::uint16_t>(worker);
  out.conn_id = conn;
  return true;
}

bool same_flow(const transport::Source& a, const transport::Source& b) noexcept {
  if (a.proto != b.proto) return false;
  if (a.proto != transport::Proto::udp) return a.conn_id == b.conn_id;
  return transport::sockaddr_equal(a.peer, b.peer);
}

}  // namespace duet::proxy
