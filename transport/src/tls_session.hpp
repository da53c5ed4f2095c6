// One server-side TLS session over memory BIOs: the connection feeds it the ciphertext it read and
// sends whatever ciphertext it produces, so OpenSSL never touches the socket and libuv stays the
// only owner of I/O.
#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <string>

namespace duet::transport {

class TlsSession {
 public:
  explicit TlsSession(SSL_CTX* ctx);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  bool ok() const noexcept { return ssl_ != nullptr; }
  // Ciphertext received from the peer.
  bool put_ciphertext(const char* data, std::size_t n) noexcept;
  // 1: handshake complete; 0: needs more from the peer; -1: failed.
  int handshake() noexcept;
  bool handshake_done() const noexcept { return done_; }
  // Decrypted bytes into buf: >0 bytes, 0 needs more ciphertext, -1 error or peer closed.
  long read_plain(char* buf, std::size_t cap) noexcept;
  bool write_plain(const char* data, std::size_t n) noexcept;
  // Queues a close_notify.
  void shutdown() noexcept;
  // Appends pending ciphertext to out. Returns true if there was any.
  bool take_ciphertext(std::string& out);

 private:
  SSL* ssl_ = nullptr;
  BIO* rbio_ = nullptr;  // owned by ssl_
  BIO* wbio_ = nullptr;  // owned by ssl_
  bool done_ = false;
};

}  // namespace duet::transport
