#include "support/clients.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

#include "duet/sip/framer.hpp"
#include "duet/transport/address.hpp"

namespace duet::test {

namespace {
bool wait_readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) > 0;
}
}  // namespace

UdpClient::UdpClient(int family) {
  fd_ = ::socket(family, SOCK_DGRAM, 0);
  sockaddr_storage a{};
  transport::make_sockaddr(family == AF_INET ? "127.0.0.1" : "::1", 0, a);
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), transport::sockaddr_len(a)) != 0) {
    throw std::runtime_error("udp client socket");
  }
}

UdpClient::~UdpClient() {
  ::close(fd_);
}

std::uint16_t UdpClient::port() const {
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
  return transport::sockaddr_port(a);
}

void UdpClient::send_to(const sockaddr_storage& to, std::string_view bytes) {
  ::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<const sockaddr*>(&to),
           transport::sockaddr_len(to));
}

std::optional<std::string> UdpClient::recv(int timeout_ms) {
  if (!wait_readable(fd_, timeout_ms)) return std::nullopt;
  std::string buf(65536, '\0');
  socklen_t len = sizeof from_;
  const auto n = ::recvfrom(fd_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from_), &len);
  if (n < 0) return std::nullopt;
  buf.resize(static_cast<std::size_t>(n));
  return buf;
}

StreamClient::StreamClient(const sockaddr_storage& to, SSL_CTX* tls) : tls_ctx_(tls) {
  fd_ = ::socket(to.ss_family, SOCK_STREAM, 0);
  if (fd_ < 0) return;
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&to), transport::sockaddr_len(to)) != 0) {
    ::close(fd_);
    fd_ = -1;
    return;
  }
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (tls) {
    timeval tv{3, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssl_ = SSL_new(tls);
    SSL_set_fd(ssl_, fd_);
    if (SSL_connect(ssl_) != 1) {
      SSL_free(ssl_);
      ssl_ = nullptr;
    }
  }
}

StreamClient::~StreamClient() {
  if (ssl_) SSL_free(ssl_);
  if (fd_ >= 0) ::close(fd_);
}

std::uint16_t StreamClient::local_port() const {
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
  return transport::sockaddr_port(a);
}

bool StreamClient::send(std::string_view bytes) {
  if (ssl_)
    return SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size())) == static_cast<int>(bytes.size());
  return send_raw(bytes);
}

bool StreamClient::send_raw(std::string_view bytes) {
  while (!bytes.empty()) {
    const auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

long StreamClient::read_some(char* buf, std::size_t cap, int timeout_ms) {
  if (ssl_ && SSL_pending(ssl_) > 0) return SSL_read(ssl_, buf, static_cast<int>(cap));
  if (!wait_readable(fd_, timeout_ms)) return -1;
  if (ssl_) {
    const int n = SSL_read(ssl_, buf, static_cast<int>(cap));
    if (n > 0) return n;
    const int e = SSL_get_error(ssl_, n);
    return e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SYSCALL || e == SSL_ERROR_SSL ? 0 : -1;
  }
  const auto n = ::recv(fd_, buf, cap, 0);
  if (n < 0) return errno == ECONNRESET ? 0 : -1;
  return n;
}

std::optional<std::string> StreamClient::read_message(int timeout_ms) {
  for (;;) {
    const auto f = sip::next_frame(pending_);
    if (f.kind == sip::FrameKind::message) {
      auto m = pending_.substr(0, f.size);
      pending_.erase(0, f.size);
      return m;
    }
    if (f.kind == sip::FrameKind::pong || f.kind == sip::FrameKind::ping) {
      pending_.erase(0, f.size);
      continue;
    }
    char buf[16384];
    const long n = read_some(buf, sizeof buf, timeout_ms);
    if (n <= 0) return std::nullopt;
    pending_.append(buf, static_cast<std::size_t>(n));
  }
}

std::optional<std::string> StreamClient::read_exact(std::size_t n, int timeout_ms) {
  while (pending_.size() < n) {
    char buf[16384];
    const long got = read_some(buf, sizeof buf, timeout_ms);
    if (got <= 0) return std::nullopt;
    pending_.append(buf, static_cast<std::size_t>(got));
  }
  auto out = pending_.substr(0, n);
  pending_.erase(0, n);
  return out;
}

bool StreamClient::closed_by_peer(int timeout_ms) {
  char buf[16384];
  for (;;) {
    const long n = read_some(buf, sizeof buf, timeout_ms);
    if (n == 0) return true;
    if (n < 0) return false;
  }
}

TempCert::TempCert() {
  char tmpl[] = "/tmp/duet-tls-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp");
  dir = tmpl;
  cert = dir + "/cert.pem";
  key = dir + "/key.pem";
  const std::string cmd =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
      "-subj /CN=localhost -keyout " +
      key + " -out " + cert + " >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("openssl req failed");
}

TempCert::~TempCert() {
  ::unlink(cert.c_str());
  ::unlink(key.c_str());
  ::rmdir(dir.c_str());
}

SSL_CTX* client_tls_context() {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  return ctx;
}

}  // namespace duet::test
