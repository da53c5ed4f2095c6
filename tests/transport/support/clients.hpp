// Blocking test clients with timeouts: a UDP socket, a TCP connection and a TLS connection.
#pragma once

#include <openssl/ssl.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace duet::test {

class UdpClient {
 public:
  explicit UdpClient(int family = AF_INET);
  ~UdpClient();
  std::uint16_t port() const;
  void send_to(const sockaddr_storage& to, std::string_view bytes);
  // One datagram, or nullopt after timeout_ms.
  std::optional<std::string> recv(int timeout_ms = 2000);
  const sockaddr_storage& last_from() const { return from_; }  // sender of the last datagram

 private:
  int fd_ = -1;
  sockaddr_storage from_{};
};

// Byte stream client; TLS when constructed with an SSL_CTX.
class StreamClient {
 public:
  explicit StreamClient(const sockaddr_storage& to, SSL_CTX* tls = nullptr);
  ~StreamClient();
  bool connected() const { return fd_ >= 0 && (!tls_ctx_ || ssl_); }
  std::uint16_t local_port() const;
  bool send(std::string_view bytes);
  // Bytes straight onto the socket, under TLS when there is TLS (a test forging a record).
  bool send_raw(std::string_view bytes);
  // One complete SIP message (framed with the parser's framer), or nullopt on timeout/close.
  std::optional<std::string> read_message(int timeout_ms = 2000);
  // Exactly n bytes, or nullopt.
  std::optional<std::string> read_exact(std::size_t n, int timeout_ms = 2000);
  // True if the server closed the connection within timeout_ms (bytes before the close are skipped).
  bool closed_by_peer(int timeout_ms = 2000);

 private:
  // >0 bytes, 0 peer closed, -1 timeout or error.
  long read_some(char* buf, std::size_t cap, int timeout_ms);
  int fd_ = -1;
  SSL_CTX* tls_ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string pending_;
};

// A throwaway self-signed certificate and key in a temporary directory (openssl CLI).
struct TempCert {
  TempCert();
  ~TempCert();
  std::string dir, cert, key;
};

// Client context that does not verify the server (the cert is self-signed).
SSL_CTX* client_tls_context();

}  // namespace duet::test
