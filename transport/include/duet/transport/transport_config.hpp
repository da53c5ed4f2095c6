// What the transport needs to know; built from the daemon's config (src/config) or by tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "duet/transport/source.hpp"

namespace duet::transport {

struct ListenSpec {
  Proto proto = Proto::udp;
  std::string ip;          // numeric IPv4 or IPv6 (no brackets)
  std::uint16_t port = 0;  // 0: an ephemeral port, the same one in every worker
};

struct TlsSettings {
  std::string cert_file, key_file, ca_file;
  bool verify_peer = false;  // ask clients for a certificate and check it against ca_file
  // Connections duet opens (sips: and transport=tls next hops): the server's certificate is checked
  // against ca_file (the system's trust store when empty) and the next hop's host name or address
  // (RFC 5922). Off only for a lab whose certificates do not name their hosts.
  bool verify_server = true;
};

// The CPU scheduling policy of the worker threads (Linux; set by each worker on itself).
enum class WorkerScheduling {
  normal,  // SCHED_OTHER: a woken worker preempts whatever runs on its CPU
  // SCHED_BATCH: a woken worker waits for the running task's turn to end (a few ms at most) instead
  // of preempting it. On a busy machine it then finds several datagrams per wake-up and is itself
  // preempted less, so a call costs fewer context switches and cold caches, for its peers too. SIP's
  // timers count in hundreds of ms; on a machine with an idle CPU nothing changes.
  batch,
};

struct TransportConfig {
  std::vector<ListenSpec> listeners;
  unsigned workers = 0;  // 0: one per core
  WorkerScheduling worker_scheduling = WorkerScheduling::batch;
  TlsSettings tls;
  std::uint32_t idle_timeout_ms = 300'000;  // stream connections with no bytes in this long are closed
  // A message begun on a stream connection (or a TLS handshake a client started) that is still not
  // whole this long after its first byte closes the connection: a client trickling bytes would
  // otherwise hold its buffer past any idle timeout (Kamailio's tcp_msg_read_timeout, 20 s). 0: off.
  std::uint32_t message_read_timeout_ms = 20'000;
  std::uint32_t max_connections = 50'000;  // stream connections in total, all workers together
  std::uint32_t max_connections_per_ip = 256;
  // Connections a worker opens to next hops at once (open or connecting): a request names its next
  // hop, so without a cap anyone could make us hold a socket per address they invent.
  std::uint32_t max_outbound_connections = 1024;
  std::uint32_t max_message_size = 65'535;  // header block + body, as the parser's Limits
  bool udp_recvmmsg = true;                 // batch UDP reads (off only to measure what it saves)
  bool udp_sendmmsg = true;  // replies made while handling a recvmmsg batch leave in one sendmmsg
  // Each worker also binds, next to every UDP listener, a socket of its own (same address, a port
  // the kernel picks): requests the worker sends from it get their responses there, on the same
  // worker, where the SO_REUSEPORT listener would hand them to whichever worker the remote
  // address hashes to (Worker::own_udp_address()).
  bool udp_worker_ports = false;
  // Seconds-granularity sweeps are enough in production; tests shorten the idle timeout and the
  // sweep follows (a quarter of the timeout, at least 20 ms, at most 1 s).
};

}  // namespace duet::transport
