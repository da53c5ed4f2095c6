// Socket address helpers shared by the transports, the config and the SIP service.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace duet::transport {

// Fills out from a numeric IPv4 or IPv6 address (IPv6 with or without brackets) and a port.
bool make_sockaddr(std::string_view ip, std::uint16_t port, sockaddr_storage& out) noexcept;

std::uint16_t sockaddr_port(const sockaddr_storage& a) noexcept;
void set_sockaddr_port(sockaddr_storage& a, std::uint16_t port) noexcept;
socklen_t sockaddr_len(const sockaddr_storage& a) noexcept;

// Numeric address without brackets or port, written into buf (at least 46 bytes). Returns a view
// of buf; empty for an unknown family.
std::string_view sockaddr_ip(const sockaddr_storage& a, char* buf, std::size_t cap) noexcept;
// "1.2.3.4:5060" or "[::1]:5060", for logs.
std::string sockaddr_to_string(const sockaddr_storage& a);

// Same family, address and port.
bool sockaddr_equal(const sockaddr_storage& a, const sockaddr_storage& b) noexcept;
// Same family and address, port ignored.
bool sockaddr_same_ip(const sockaddr_storage& a, const sockaddr_storage& b) noexcept;

inline constexpr std::size_t kIpStrLen = 48;

}  // namespace duet::transport
