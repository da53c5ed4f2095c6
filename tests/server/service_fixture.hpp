// A SipService on real workers bound to 127.0.0.1 (ephemeral ports), and blocking loopback
// clients with bounded waits, for tests that exercise the service the way a phone does.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "duet/sip/message.hpp"
#include "duet/transport/address.hpp"
#include "duet/transport/runtime.hpp"
#include "sip_service.hpp"

namespace duet::server::test {

inline std::uint16_t bound_port(transport::Runtime& rt, transport::Proto p) {
  for (const auto& b : rt.bound()) {
    if (b.proto == p) return transport::sockaddr_port(b.addr);
  }
  return 0;
}

class Service {
 public:
  explicit Service(config::Config cfg) : cfg_(std::move(cfg)) {
    cfg_.listeners = {{transport::Proto::udp, "127.0.0.1", 0}, {transport::Proto::tcp, "127.0.0.1", 0}};
    svc_ = std::make_unique<SipService>(cfg_);
    rt_ = std::make_unique<transport::Runtime>(config::to_transport_config(cfg_), *svc_);
    rt_->start();
    udp_port = bound_port(*rt_, transport::Proto::udp);
    tcp_port = bound_port(*rt_, transport::Proto::tcp);
  }
  ~Service() {
    rt_->stop();
    rt_.reset();
  }
  SipService& service() { return *svc_; }
  transport::Runtime& runtime() { return *rt_; }
  std::uint16_t udp_port = 0;
  std::uint16_t tcp_port = 0;

 private:
  config::Config cfg_;
  std::unique_ptr<SipService> svc_;  // outlives the runtime
  std::unique_ptr<transport::Runtime> rt_;
};

inline sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

class UdpClient {
 public:
  // address: another loopback address to send from (e.g. "127.0.0.2", a phone on another host).
  explicit UdpClient(const char* address = "127.0.0.1") : ip(address) {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a = loopback(0);
    ::inet_pton(AF_INET, address, &a.sin_addr);
    bound = ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~UdpClient() { ::close(fd_); }
  void send(std::uint16_t to_port, const std::string& text) {
    sockaddr_in a = loopback(to_port);
    ASSERT_EQ(::sendto(fd_, text.data(), text.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a),
              static_cast<ssize_t>(text.size()));
  }
  // One datagram, or empty after timeout_ms.
  std::string recv(int timeout_ms = 2000) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) != 1) return {};
    char buf[65536];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  }
  std::string ip;
  std::uint16_t port = 0;
  bool bound = false;

 private:
  int fd_ = -1;
};

// One end of a TCP connection on loopback: whole messages with an empty body each way.
class TcpStream {
 public:
  TcpStream() = default;
  TcpStream(const TcpStream&) = delete;
  TcpStream& operator=(const TcpStream&) = delete;
  ~TcpStream() {
    if (fd_ >= 0) ::close(fd_);
  }
  void send(const std::string& text) {
    ASSERT_EQ(::send(fd_, text.data(), text.size(), MSG_NOSIGNAL), static_cast<ssize_t>(text.size()));
  }
  // One message with an empty body (what the tests send and the service forwards), or empty after
  // timeout_ms.
  std::string recv(int timeout_ms = 2000) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      const auto end = buffer_.find("\r\n\r\n");
      if (end != std::string::npos) {
        std::string msg = buffer_.substr(0, end + 4);
        buffer_.erase(0, end + 4);
        return msg;
      }
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return {};
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) != 1) return {};
      char buf[8192];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return {};
      buffer_.append(buf, static_cast<std::size_t>(n));
    }
  }

 protected:
  int fd_ = -1;
  std::string buffer_;
};

class TcpClient : public TcpStream {
 public:
  explicit TcpClient(std::uint16_t to_port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a = loopback(to_port);
    connected = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  bool connected = false;
  std::uint16_t port = 0;
};

// A SIP server on TCP that duet connects to (a gateway, the peer's trunk): listens on 127.0.0.1,
// and talks over the last connection it accepted.
class TcpServer : public TcpStream {
 public:
  TcpServer() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a = loopback(0);
    listening =
        ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && ::listen(listen_fd_, 8) == 0;
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~TcpServer() { ::close(listen_fd_); }
  // Waits for a connection; true if one came (it replaces the current one).
  bool accept(int timeout_ms = 2000) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) != 1) return false;
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) return false;
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
    buffer_.clear();
    ++accepted;
    return true;
  }
  // A connection is waiting to be accepted.
  bool pending(int timeout_ms) {
    pollfd p{listen_fd_, POLLIN, 0};
    return ::poll(&p, 1, timeout_ms) == 1;
  }
  bool listening = false;
  std::uint16_t port = 0;
  int accepted = 0;

 private:
  int listen_fd_ = -1;
};

// A parsed response that owns its bytes.
struct Parsed {
  std::string text;
  sip::Message msg;
  bool ok = false;
};
inline std::unique_ptr<Parsed> parse_response(const std::string& text) {
  auto p = std::make_unique<Parsed>();
  p->text = text;
  p->ok =
      !text.empty() && sip::parse(p->text, p->msg, {}).status == sip::ParseStatus::ok && p->msg.is_response();
  return p;
}

inline std::string register_text(const std::string& user, const std::string& contact_host,
                                 std::uint16_t via_port, const char* transport, std::uint32_t cseq = 1,
                                 const std::string& expires = "3600",
                                 const std::string& contacts_override = "") {
  std::string s = "REGISTER sip:example.com SIP/2.0\r\n";
  s += std::string("Via: SIP/2.0/") + transport + " 127.0.0.1:" + std::to_string(via_port) +
       ";branch=z9hG4bK" + user + std::to_string(cseq) + ";rport\r\n";
  s += "Max-Forwards: 70\r\n";
  s += "To: <sip:" + user + "@example.com>\r\n";
  s += "From: <sip:" + user + "@example.com>;tag=" + user + "\r\n";
  s += "Call-ID: reg-" + user + "@127.0.0.1\r\n";
  s += "CSeq: " + std::to_string(cseq) + " REGISTER\r\n";
  if (contacts_override.empty()) {
    s += "Contact: <sip:" + user + "@" + contact_host + ">\r\n";
  } else if (contacts_override != "none") {
    s += "Contact: " + contacts_override + "\r\n";
  }
  s += "Expires: " + expires + "\r\n";
  s += "User-Agent: duet-test\r\n";
  s += "Content-Length: 0\r\n\r\n";
  return s;
}

}  // namespace duet::server::test
