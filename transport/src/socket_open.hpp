// Opens a non-blocking socket bound with SO_REUSEPORT, so that every worker binds the same
// address and the kernel spreads datagrams and connections over them.
#pragma once

#include <sys/socket.h>

namespace duet::transport {

// type: SOCK_DGRAM or SOCK_STREAM. Returns the fd; throws std::runtime_error naming the address
// and the system's reason. IPv6 sockets are IPV6_V6ONLY so [::] and 0.0.0.0 can both be listed.
int open_bound_socket(const sockaddr_storage& addr, int type);

// The address a socket is bound to (with the kernel's port for port 0).
sockaddr_storage bound_address(int fd);

}  // namespace duet::transport
