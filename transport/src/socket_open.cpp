#include "socket_open.hpp"

#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "duet/transport/address.hpp"

namespace duet::transport {

namespace {
[[noreturn]] void fail(const char* what, const sockaddr_storage& addr, int err, int fd) {
  if (fd >= 0) ::close(fd);
  throw std::runtime_error(std::string(what) + " " + sockaddr_to_string(addr) + ": " + std::strerror(err));
}
}  // namespace

int open_bound_socket(const sockaddr_storage& addr, int type) {
  const int fd = ::socket(addr.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket for", addr, errno, -1);
  const int one = 1;
  if (::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
    fail("SO_REUSEPORT on", addr, errno, fd);
  if (type == SOCK_STREAM) {
    // Lets a restarted daemon bind while old connections sit in TIME_WAIT.
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  } else {
    // Bursts of REGISTERs after an outage: a deeper queue loses fewer (the kernel caps it at rmem_max).
    const int size = 4 << 20;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  }
  if (addr.ss_family == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sockaddr_len(addr)) != 0)
    fail("bind", addr, errno, fd);
  return fd;
}

sockaddr_storage bound_address(int fd) {
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return a;
}

}  // namespace duet::transport
