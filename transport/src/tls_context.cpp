#include "tls_context.hpp"

#include <openssl/err.h>

#include <stdexcept>
#include <string>

namespace duet::transport {

namespace {
std::string openssl_reason() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}
}  // namespace

SslCtxPtr make_server_tls_context(const TlsSettings& s) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) throw std::runtime_error("TLS: cannot create context: " + openssl_reason());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  // Memory BIOs: a partial SSL_write must not pin the caller's buffer.
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (s.cert_file.empty() || s.key_file.empty()) {
    throw std::runtime_error("TLS: a tls listener needs tls.cert_file and tls.key_file");
  }
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), s.cert_file.c_str()) != 1) {
    throw std::runtime_error("TLS: cannot load certificate " + s.cert_file + ": " + openssl_reason());
  }
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), s.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    throw std::runtime_error("TLS: cannot load key " + s.key_file + ": " + openssl_reason());
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1) {
    throw std::runtime_error("TLS: key " + s.key_file + " does not match " + s.cert_file);
  }
  if (!s.ca_file.empty() && SSL_CTX_load_verify_locations(ctx.get(), s.ca_file.c_str(), nullptr) != 1) {
    throw std::runtime_error("TLS: cannot load CA file " + s.ca_file + ": " + openssl_reason());
  }
  if (s.verify_peer) {
    if (s.ca_file.empty()) throw std::runtime_error("TLS: verify_peer needs tls.ca_file");
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  return ctx;
}

}  // namespace duet::transport
