#include "duet/transport/tls_session.hpp"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

namespace duet::transport {

TlsSession::TlsSession(SSL_CTX* ctx, bool client) {
  ssl_ = SSL_new(ctx);
  if (!ssl_) return;
  rbio_ = BIO_new(BIO_s_mem());
  wbio_ = BIO_new(BIO_s_mem());
  if (!rbio_ || !wbio_) {
    BIO_free(rbio_);
    BIO_free(wbio_);
    SSL_free(ssl_);
    ssl_ = nullptr;
    return;
  }
  // An empty read BIO means "wait for more", not end of file.
  BIO_set_mem_eof_return(rbio_, -1);
  SSL_set_bio(ssl_, rbio_, wbio_);
  if (client) {
    SSL_set_connect_state(ssl_);
  } else {
    SSL_set_accept_state(ssl_);
  }
}

bool TlsSession::expect_server(const std::string& name) noexcept {
  if (name.empty()) return true;
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl_);
  if (X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) == 1) return true;
  ERR_clear_error();
  // RFC 5922 §7.2: the SIP domain is matched against the certificate's DNS names.
  return SSL_set_tlsext_host_name(ssl_, name.c_str()) == 1 && SSL_set1_host(ssl_, name.c_str()) == 1;
}

void TlsSession::note_failure() {
  const long verify = SSL_get_verify_result(ssl_);
  const unsigned long e = ERR_get_error();
  if (verify != X509_V_OK) {
    failure_ = std::string("certificate check failed: ") + X509_verify_cert_error_string(verify);
  } else if (e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    failure_ = buf;
  } else {
    failure_ = "TLS error";
  }
  ERR_clear_error();
}

TlsSession::~TlsSession() {
  if (ssl_) SSL_free(ssl_);
}

bool TlsSession::put_ciphertext(const char* data, std::size_t n) noexcept {
  while (n > 0) {
    const int w = BIO_write(rbio_, data, static_cast<int>(n > 1 << 30 ? 1 << 30 : n));
    if (w <= 0) return false;
    data += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

int TlsSession::handshake() noexcept {
  if (done_) return 1;
  const int r = SSL_do_handshake(ssl_);
  if (r == 1) {
    done_ = true;
    return 1;
  }
  const int e = SSL_get_error(ssl_, r);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return 0;
  note_failure();
  return -1;
}

bool TlsSession::input_pending() const noexcept {
  return BIO_ctrl_pending(rbio_) > 0 || SSL_has_pending(ssl_) == 1;
}

long TlsSession::read_plain(char* buf, std::size_t cap) noexcept {
  if (cap == 0) return 0;
  const int r = SSL_read(ssl_, buf, static_cast<int>(cap > 1 << 30 ? 1 << 30 : cap));
  if (r > 0) return r;
  const int e = SSL_get_error(ssl_, r);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return 0;
  if (e == SSL_ERROR_ZERO_RETURN) {
    failure_ = "closed by peer (close_notify)";
    ERR_clear_error();
  } else {
    note_failure();
  }
  return -1;
}

bool TlsSession::write_plain(const char* data, std::size_t n) noexcept {
  while (n > 0) {
    const int w = SSL_write(ssl_, data, static_cast<int>(n > 1 << 30 ? 1 << 30 : n));
    if (w <= 0) {
      ERR_clear_error();
      return false;
    }
    data += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

void TlsSession::shutdown() noexcept {
  if (done_) SSL_shutdown(ssl_);
  ERR_clear_error();
}

bool TlsSession::take_ciphertext(std::string& out) {
  const auto pending = BIO_ctrl_pending(wbio_);
  if (pending == 0) return false;
  const auto old = out.size();
  out.resize(old + pending);
  const int r = BIO_read(wbio_, out.data() + old, static_cast<int>(pending));
  out.resize(old + (r > 0 ? static_cast<std::size_t>(r) : 0));
  return r > 0;
}

}  // namespace duet::transport
