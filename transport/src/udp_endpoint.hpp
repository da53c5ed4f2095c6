// One UDP socket of one worker (SO_REUSEPORT: every worker has one per UDP listener). Reads with
// recvmmsg batches, parses each datagram in place and answers from the same socket.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "duet/transport/source.hpp"

namespace duet::transport {

class Worker;

class UdpEndpoint {
 public:
  // Binds (throws std::runtime_error on failure).
  UdpEndpoint(Worker& w, const sockaddr_storage& addr);
  const sockaddr_storage& local() const noexcept { return local_; }
  void start();
  void stop_reading() noexcept;
  void close() noexcept;
  // Datagram to peer; falls back to a queued send (copying) if the socket buffer is full. While a
  // recvmmsg batch is being handled, replies are held and leave together in one sendmmsg.
  bool send(const sockaddr_storage& peer, const uv_buf_t* bufs, unsigned n) noexcept;
  // Datagrams sent from hold() to release() leave together, in one sendmmsg (Worker::begin_batch).
  void hold() noexcept { hold_replies_ = use_sendmmsg_ && !closed_; }
  void release() noexcept;

 private:
  static void on_alloc(uv_handle_t* h, std::size_t suggested, uv_buf_t* buf);
  static void on_recv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf, const sockaddr* addr, unsigned flags);
  Worker& w_;
  uv_udp_t udp_{};
  sockaddr_storage local_{};
  bool send_now(const sockaddr_storage& peer, const uv_buf_t* bufs, unsigned n) noexcept;
  void flush_held() noexcept;
  void end_batch() noexcept;  // ends the worker's batch this recvmmsg batch began

  struct Held {
    sockaddr_storage to;
    std::uint32_t offset, size;  // in held_bytes_
  };
  static constexpr std::size_t kMaxHeld = 64;
  std::unique_ptr<char[]> buf_;
  bool hold_replies_ = false;  // inside a worker's batch, with sendmmsg on
  bool in_batch_ = false;      // between a recvmmsg batch's first datagram and its end
  bool use_sendmmsg_ = false;
  std::vector<Held> held_;
  std::string held_bytes_;
  std::size_t buf_size_ = 0;
  bool closed_ = false;
};

}  // namespace duet::transport
