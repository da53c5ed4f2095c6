// How a REGISTER reached us: what the registrar keeps to reach the phone again through its NAT
// (RFC 3261 §18.2.2 received/rport, RFC 5626 flows). Filled by the SIP service from the
// transport's Source, so the registrar does not depend on sockets.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace duet::registrar {

enum class Transport : std::uint8_t { udp, tcp, tls, other };

struct Flow {
  Transport transport = Transport::udp;
  std::uint8_t family = 0;              // 4 or 6; 0 when unknown
  std::uint16_t port = 0;               // source port, host order
  std::array<std::uint8_t, 16> addr{};  // source address (IPv4 in the first 4 bytes)
  std::uint64_t conn_id = 0;            // 0 for UDP; the connection (flow token) for TCP/TLS
  std::uint16_t worker = 0;             // worker owning the socket or connection
  // Opaque bytes naming the local socket it arrived on (interned: few distinct values).
  std::string_view local;
};

}  // namespace duet::registrar
