// The server's SSL_CTX, loaded once from the certificate and key files and shared by all workers
// (an SSL_CTX is safe to use from many threads once configured).
#pragma once

#include <openssl/ssl.h>

#include <memory>

#include "duet/transport/transport_config.hpp"

namespace duet::transport {

struct SslCtxFree {
  void operator()(SSL_CTX* c) const noexcept { SSL_CTX_free(c); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;

// Throws std::runtime_error naming the file and OpenSSL's reason.
SslCtxPtr make_server_tls_context(const TlsSettings& s);

}  // namespace duet::transport
