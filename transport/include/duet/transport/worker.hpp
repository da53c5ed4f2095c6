// One event loop in one thread, owning its sockets, connections and handler state.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "duet/sip/writer.hpp"
#include "duet/transport/source.hpp"
#include "duet/transport/stats.hpp"
#include "duet/transport/task.hpp"

namespace duet::transport {

class Runtime;
struct WorkerState;  // transport/src/worker_state.hpp

class Worker {
 public:
  Worker(Runtime& rt, std::uint16_t index);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  std::uint16_t index() const noexcept { return index_; }
  std::uint16_t worker_count() const noexcept;
  uv_loop_t* loop() noexcept;
  // Loop time in milliseconds (cached per loop iteration, monotonic).
  std::uint64_t now_ms() const noexcept;
  Runtime& runtime() noexcept { return rt_; }
  const Stats& stats() const noexcept;

  // Sends bytes to dst. UDP: from this worker's socket bound to dst.local, to dst.peer.
  // TCP/TLS: on connection dst.conn_id if this worker owns it, else copied and posted to the owner.
  // Returns false if it certainly failed (no such socket or connection, or the worker stopped).
  bool send(const Source& dst, std::string_view bytes);
  bool sendv(const Source& dst, const sip::Slice* slices, std::size_t n);

  // TCP/TLS to dst.peer (dst.local: the listener whose address it leaves from): the id of this
  // worker's open connection to that transport and address (RFC 3261 §18.1.1), else of a new one
  // it starts now, which takes writes at once and sends them once it is up (Handler::
  // on_connection_failed if it never is). tls_name: what the server's certificate must name (its
  // host name, or empty for dst.peer's address). 0 if no connection could be started (UDP, a
  // stopped worker, TLS without a TLS listener). sendv() to a stream Source with conn_id 0 does
  // the same with an empty tls_name. reserved: a configured next hop (gateway, peer trunk), which
  // may go kReservedConnections past TransportConfig::max_outbound_connections, so that requests
  // naming made-up hops cannot lock the site out of its own.
  std::uint64_t connect(const Source& dst, const std::string& tls_name = {}, bool reserved = false);
  static constexpr std::uint32_t kReservedConnections = 16;

  // UDP: this worker's own socket next to the listener bound at `listener` (no other worker reads
  // it), when TransportConfig::udp_worker_ports is on. A request sent from it (dst.local = out)
  // with it as Via sent-by gets its responses on this worker. False when there is none.
  bool own_udp_address(const sockaddr_storage& listener, sockaddr_storage& out) const noexcept;

  // Hands t to another worker (or this one): t->run(target, t) runs on that worker's thread soon.
  // Safe from any thread; never blocks and never allocates.
  void post(std::uint16_t target_worker, Task* t);

  // On this worker's thread: from begin_batch() to the matching end_batch(), UDP datagrams sent
  // from any of its sockets are held and leave in one sendmmsg per socket, and posts to other
  // workers wake them once, at the end. The transport batches each recvmmsg batch and each
  // mailbox drain itself; a handler batches its own timer work with it. Nests.
  void begin_batch() noexcept;
  void end_batch() noexcept;
  struct Batch {
    explicit Batch(Worker& w) noexcept : w_(w) { w_.begin_batch(); }
    ~Batch() { w_.end_batch(); }
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;

   private:
    Worker& w_;
  };

  WorkerState& state() noexcept { return *state_; }

 private:
  Runtime& rt_;
  std::uint16_t index_;
  std::unique_ptr<WorkerState> state_;
};

}  // namespace duet::transport
