// State every worker of a Runtime reads: the connection caps, the TLS context, stop bookkeeping.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "conn_limits.hpp"
#include "duet/transport/runtime.hpp"
#include "duet/transport/tls_context.hpp"

namespace duet::transport {

struct RuntimeShared {
  RuntimeShared(std::uint32_t max_total, std::uint32_t max_per_ip) : limits(max_total, max_per_ip) {}
  ConnLimits limits;
  SslCtxPtr tls;
  SslCtxPtr tls_client;  // connections the workers open (StreamConn::dial)
  std::vector<BoundListener> bound;
  // Tasks posted between workers and not yet run: stop() waits for zero before closing anything.
  std::atomic<std::int64_t> in_flight{0};
  std::atomic<unsigned> acks{0};  // workers done with the current stop phase
  bool started = false;
  bool stopped = false;
};

}  // namespace duet::transport
