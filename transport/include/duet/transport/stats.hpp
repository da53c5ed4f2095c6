// Per-worker counters. Written only by the owning worker (load + store, no read-modify-write, so
// no locked instruction on the hot path); read by anyone, approximately.
#pragma once

#include <atomic>
#include <cstdint>

namespace duet::transport {

struct Counter {
  std::atomic<std::uint64_t> v{0};
  void add(std::uint64_t n = 1) noexcept {
    v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  std::uint64_t get() const noexcept { return v.load(std::memory_order_relaxed); }
};

struct Stats {
  Counter messages_in;         // well-formed messages handed to the handler
  Counter malformed_answered;  // malformed requests answered with 400/505/513
  Counter malformed_dropped;   // malformed responses and garbage, dropped
  Counter oversize_closed;     // stream connections closed for a message past the limits
  Counter keepalive_pings;     // RFC 5626 keepalives answered: double-CRLF pings, STUN Binding requests
  Counter connections_accepted;
  Counter connections_rejected;  // over max_connections or max_connections_per_ip
  Counter connections_idle_closed;
  Counter
      connections_read_timeout;  // a message (or TLS handshake) not whole message_read_timeout after it began
  Counter connections_dialled;   // connections we opened (to next hops over TCP/TLS)
  Counter connect_failed;        // of those, the ones that never got ready (refused, timed out, TLS)
  Counter tls_handshake_failed;
  Counter send_failed;  // datagrams not sent, writes to a gone connection
  Counter posted;       // tasks run from the mailbox
};

struct StatsSnapshot {
  std::uint64_t messages_in = 0, malformed_answered = 0, malformed_dropped = 0, oversize_closed = 0,
                keepalive_pings = 0, connections_accepted = 0, connections_rejected = 0,
                connections_idle_closed = 0, connections_read_timeout = 0, connections_dialled = 0,
                connect_failed = 0, tls_handshake_failed = 0, send_failed = 0, posted = 0;
  StatsSnapshot& operator+=(const Stats& s) noexcept;
};

}  // namespace duet::transport
