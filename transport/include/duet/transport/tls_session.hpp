// One TLS session over memory BIOs: the connection feeds it the ciphertext it read and sends
// whatever ciphertext it produces, so OpenSSL never touches the socket and libuv stays the only
// owner of I/O. Server side for SIP over TLS; either side for the peer-replication link.
#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <string>

namespace duet::transport {

class TlsSession {
 public:
  // client: this end starts the handshake (handshake() makes the ClientHello).
  explicit TlsSession(SSL_CTX* ctx, bool client = false);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  bool ok() const noexcept { return ssl_ != nullptr; }
  // Client side, before the handshake: the server we dial, a host name (sent as SNI and matched
  // against the certificate's names) or an IP address (matched against its IP addresses). Checked
  // only when the context verifies the peer. False if OpenSSL refused the name.
  bool expect_server(const std::string& name) noexcept;
  // Ciphertext received from the peer.
  bool put_ciphertext(const char* data, std::size_t n) noexcept;
  // 1: handshake complete; 0: needs more from the peer; -1: failed.
  int handshake() noexcept;
  bool handshake_done() const noexcept { return done_; }
  // Decrypted bytes into buf: >0 bytes, 0 needs more ciphertext, -1 error or peer closed.
  long read_plain(char* buf, std::size_t cap) noexcept;
  // Ciphertext received but not yet readable as plaintext (a record still arriving).
  bool input_pending() const noexcept;
  bool write_plain(const char* data, std::size_t n) noexcept;
  // Why the handshake or a read failed, for the log: the certificate check's verdict when it
  // failed, else OpenSSL's first queued error.
  const std::string& failure() const noexcept { return failure_; }
  // Queues a close_notify.
  void shutdown() noexcept;
  // Appends pending ciphertext to out. Returns true if there was any.
  bool take_ciphertext(std::string& out);

 private:
  SSL* ssl_ = nullptr;
  BIO* rbio_ = nullptr;  // owned by ssl_
  BIO* wbio_ = nullptr;  // owned by ssl_
  bool done_ = false;
  std::string failure_;
  void note_failure();
};

}  // namespace duet::transport
