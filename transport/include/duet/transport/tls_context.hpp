// The server's SSL_CTX, loaded once from the certificate and key files and shared by all workers
// (an SSL_CTX is safe to use from many threads once configured).
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "duet/transport/transport_config.hpp"

namespace duet::transport {

struct SslCtxFree {
  void operator()(SSL_CTX* c) const noexcept { SSL_CTX_free(c); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;

// Throws std::runtime_error naming the file and OpenSSL's reason.
SslCtxPtr make_server_tls_context(const TlsSettings& s);

// For connections duet opens to other SIP servers: TLS 1.2 at least, this site's certificate
// offered when one is configured (a server that asks for it gets it), the server's certificate
// checked when s.verify_server (against ca_file, else the system's trust store; the name is set per
// connection, TlsSession::expect_server). Throws std::runtime_error as above.
SslCtxPtr make_client_tls_context(const TlsSettings& s);

// For the link between two sites, which both dial and accept: this site's certificate and key on
// both sides of a connection, and the peer's certificate required and checked against ca_file
// (mutual TLS), and, when peer_name is not empty, required to carry that name (a DNS name or an
// IP address in its subjectAltName). TLS 1.2 at least. Throws std::runtime_error as above.
SslCtxPtr make_peer_tls_context(const TlsSettings& s, const std::string& peer_name);

}  // namespace duet::transport
