#include "source_flow.hpp"

#include <netinet/in.h>

#include <cstring>

namespace duet::server {
namespace {

registrar::Transport to_transport(transport::Proto p) noexcept {
  switch (p) {
    case transport::Proto::udp:
      return registrar::Transport::udp;
    case transport::Proto::tcp:
      return registrar::Transport::tcp;
    case transport::Proto::tls:
      return registrar::Transport::tls;
  }
  return registrar::Transport::other;
}

// Family (4/6/0), port (host order) and address bytes of a sockaddr.
std::uint8_t split(const sockaddr_storage& a, std::uint16_t& port, std::uint8_t (&addr)[16]) noexcept {
  std::memset(addr, 0, sizeof addr);
  if (a.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(a);
    port = ntohs(in.sin_port);
    std::memcpy(addr, &in.sin_addr, 4);
    return 4;
  }
  if (a.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(a);
    port = ntohs(in6.sin6_port);
    std::memcpy(addr, &in6.sin6_addr, 16);
    return 6;
  }
  port = 0;
  return 0;
}

void fill(sockaddr_storage& ss, std::uint8_t family, std::uint16_t port, const std::uint8_t* addr) noexcept {
  std::memset(&ss, 0, sizeof ss);
  if (family == 4) {
    auto& in = reinterpret_cast<sockaddr_in&>(ss);
    in.sin_family = AF_INET;
    in.sin_port = htons(port);
    std::memcpy(&in.sin_addr, addr, 4);
  } else if (family == 6) {
    auto& in6 = reinterpret_cast<sockaddr_in6&>(ss);
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(port);
    std::memcpy(&in6.sin6_addr, addr, 16);
  }
}

transport::Proto proto_of(registrar::Transport t) noexcept {
  switch (t) {
    case registrar::Transport::tcp:
      return transport::Proto::tcp;
    case registrar::Transport::tls:
      return transport::Proto::tls;
    default:
      return transport::Proto::udp;
  }
}

}  // namespace

bool binding_target(const registrar::Binding& b, std::string_view key, transport::Source& out) noexcept {
  if (b.family != 4 && b.family != 6) return false;
  // The local key (flow_from_source): proto, family, port (big-endian), address.
  if (key.size() < 4) return false;
  const auto family = static_cast<std::uint8_t>(key[1]);
  const auto port = static_cast<std::uint16_t>((static_cast<std::uint8_t>(key[2]) << 8) |
                                               static_cast<std::uint8_t>(key[3]));
  const std::size_t alen = family == 4 ? 4 : family == 6 ? 16 : 0;
  if (alen == 0 || key.size() < 4 + alen) return false;
  std::uint8_t addr[16] = {};
  std::memcpy(addr, key.data() + 4, alen);
  out = {};
  fill(out.local, family, port, addr);
  out.proto = proto_of(b.transport);
  fill(out.peer, b.family, b.port, b.addr);
  out.conn_id = b.conn_id;
  out.worker = b.worker;
  return true;
}

void flow_from_source(const transport::Source& src, char (&local_buf)[kLocalKeySize],
                      registrar::Flow& flow) noexcept {
  flow.transport = to_transport(src.proto);
  std::uint8_t addr[16];
  flow.family = split(src.peer, flow.port, addr);
  std::memcpy(flow.addr.data(), addr, 16);
  flow.conn_id = src.conn_id;
  flow.worker = src.worker;
  std::uint16_t lport = 0;
  const std::uint8_t lfamily = split(src.local, lport, addr);
  local_buf[0] = static_cast<char>(src.proto);
  local_buf[1] = static_cast<char>(lfamily);
  local_buf[2] = static_cast<char>(lport >> 8);
  local_buf[3] = static_cast<char>(lport & 0xFF);
  std::memcpy(local_buf + 4, addr, 16);
  flow.local = std::string_view(local_buf, lfamily == 0 ? 4 : (lfamily == 4 ? 8 : 20));
}

}  // namespace duet::server
