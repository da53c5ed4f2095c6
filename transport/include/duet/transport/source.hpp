// Where a message came from: enough to answer it and to reach the same flow again.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace duet::transport {

enum class Proto : std::uint8_t { udp, tcp, tls };

std::string_view proto_name(Proto p) noexcept;  // "udp", "tcp", "tls"

// Connection ids of connections a worker opened itself (Worker::connect) carry this bit, so that
// whoever waits on one can tell, from the id alone, that it may fail before it is up.
inline constexpr std::uint64_t kDialledConnBit = std::uint64_t{1} << 47;
inline bool dialled_conn(std::uint64_t conn_id) noexcept {
  return (conn_id & kDialledConnBit) != 0;
}

struct Source {
  Proto proto = Proto::udp;
  sockaddr_storage peer{};    // remote address (IPv4 or IPv6)
  sockaddr_storage local{};   // the local address it arrived on
  std::uint64_t conn_id = 0;  // 0 for UDP; unique per TCP/TLS connection (RFC 5626 flow token)
  std::uint16_t worker = 0;   // worker that owns the socket/connection
};

}  // namespace duet::transport
