// One UDP socket of one worker (SO_REUSEPORT: every worker has one per UDP listener). Reads with
// recvmmsg batches, parses each datagram in place and answers from the same socket.
//
// The socket is watched with a uv_poll_t and read and written here rather than through uv_udp_t:
// libuv's reader calls recvmmsg again after every batch until it fails with EAGAIN, one wasted
// system call per wake-up (about one per call through the proxy), and ends its batch after each
// recvmmsg, so a wake-up that read twice also sent twice. Here a short batch means the socket is
// drained (epoll, level-triggered, reports anything that arrives after it), and everything read
// in one wake-up is answered in one sendmmsg.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <deque>
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
  static void on_poll(uv_poll_t* h, int status, int events);
  void read_ready() noexcept;
  void write_ready() noexcept;
  void handle_datagram(const char* data, std::size_t len, const sockaddr_storage& from,
                       int msg_flags) noexcept;
  // The events the poll handle should wait for: readable while reading, writable while sends wait.
  void update_poll() noexcept;
  Worker& w_;
  int fd_ = -1;
  uv_poll_t poll_{};
  int polled_events_ = 0;
  bool reading_ = false;
  sockaddr_storage local_{};
  bool send_now(const sockaddr_storage& peer, const uv_buf_t* bufs, unsigned n) noexcept;
  void flush_held() noexcept;

  // A datagram the kernel had no room for, sent when the socket is writable again.
  struct Queued {
    sockaddr_storage to;
    std::string data;
  };
  static constexpr std::size_t kMaxQueued = 4096;  // beyond this a send fails (counted) rather than grow
  std::deque<Queued> queued_;

  struct Held {
    sockaddr_storage to;
    std::uint32_t offset, size;  // in held_bytes_
  };
  static constexpr std::size_t kMaxHeld = 64;
  std::unique_ptr<char[]> buf_;  // batch_ slots of kSlot bytes
  std::unique_ptr<sockaddr_storage[]> from_;
  unsigned batch_ = 1;         // datagrams per recvmmsg
  bool hold_replies_ = false;  // inside a worker's batch, with sendmmsg on
  bool use_sendmmsg_ = false;
  std::vector<Held> held_;
  std::string held_bytes_;
  bool closed_ = false;
};

}  // namespace duet::transport
