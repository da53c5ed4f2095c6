#include "duet/transport/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

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

void load_identity(SSL_CTX* ctx, const TlsSettings& s) {
  if (SSL_CTX_use_certificate_chain_file(ctx, s.cert_file.c_str()) != 1) {
    throw std::runtime_error("TLS: cannot load certificate " + s.cert_file + ": " + openssl_reason());
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, s.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    throw std::runtime_error("TLS: cannot load key " + s.key_file + ": " + openssl_reason());
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    throw std::runtime_error("TLS: key " + s.key_file + " does not match " + s.cert_file);
  }
  if (!s.ca_file.empty() && SSL_CTX_load_verify_locations(ctx, s.ca_file.c_str(), nullptr) != 1) {
    throw std::runtime_error("TLS: cannot load CA file " + s.ca_file + ": " + openssl_reason());
  }
}

SslCtxPtr new_context(const SSL_METHOD* method) {
  SslCtxPtr ctx(SSL_CTX_new(method));
  if (!ctx) throw std::runtime_error("TLS: cannot create context: " + openssl_reason());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  // Memory BIOs: a partial SSL_write must not pin the caller's buffer.
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  return ctx;
}

}  // namespace

SslCtxPtr make_server_tls_context(const TlsSettings& s) {
  if (s.cert_file.empty() || s.key_file.empty()) {
    throw std::runtime_error("TLS: a tls listener needs tls.cert_file and tls.key_file");
  }
  SslCtxPtr ctx = new_context(TLS_server_method());
  load_identity(ctx.get(), s);
  if (s.verify_peer) {
    if (s.ca_file.empty()) throw std::runtime_error("TLS: verify_peer needs tls.ca_file");
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  return ctx;
}

SslCtxPtr make_client_tls_context(const TlsSettings& s) {
  SslCtxPtr ctx = new_context(TLS_client_method());
  if (!s.cert_file.empty() && !s.key_file.empty()) {
    TlsSettings identity = s;
    identity.ca_file.clear();  // loaded below, with the fallback
    load_identity(ctx.get(), identity);
  }
  if (s.verify_server) {
    const bool loaded = s.ca_file.empty()
                            ? SSL_CTX_set_default_verify_paths(ctx.get()) == 1
                            : SSL_CTX_load_verify_locations(ctx.get(), s.ca_file.c_str(), nullptr) == 1;
    if (!loaded) {
      throw std::runtime_error(
          "TLS: cannot load " +
          (s.ca_file.empty() ? std::string("the system's trust store") : "CA file " + s.ca_file) + ": " +
          openssl_reason());
    }
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  }
  return ctx;
}

SslCtxPtr make_peer_tls_context(const TlsSettings& s, const std::string& peer_name) {
  if (s.cert_file.empty() || s.key_file.empty() || s.ca_file.empty()) {
    throw std::runtime_error("TLS: the peer link needs tls.cert_file, tls.key_file and tls.ca_file");
  }
  SslCtxPtr ctx = new_context(TLS_method());  // each end both dials and accepts
  load_identity(ctx.get(), s);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  if (!peer_name.empty()) {
    X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ctx.get());
    const bool ip = X509_VERIFY_PARAM_set1_ip_asc(param, peer_name.c_str()) == 1;
    if (!ip && X509_VERIFY_PARAM_set1_host(param, peer_name.c_str(), peer_name.size()) != 1) {
      throw std::runtime_error("TLS: cannot check the peer's name '" + peer_name + "': " + openssl_reason());
    }
    ERR_clear_error();
  }
  return ctx;
}

}  // namespace duet::transport
