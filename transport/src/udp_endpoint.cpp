#include "udp_endpoint.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>
#include <string>

#include "dispatch.hpp"
#include "duet/transport/address.hpp"
#include "duet/transport/runtime.hpp"
#include "duet/transport/worker.hpp"
#include "socket_open.hpp"
#include "worker_state.hpp"

namespace duet::transport {

namespace {
// libuv hands recvmmsg one 64 KiB slot per datagram; this many slots make one batch.
constexpr std::size_t kSlot = 64 * 1024;
constexpr std::size_t kBatch = 16;

struct QueuedSend {
  uv_udp_send_t req;
  std::string data;
};

bool only_crlf(std::string_view d) noexcept {
  return d.find_first_not_of("\r\n") == std::string_view::npos;
}
}  // namespace

UdpEndpoint::UdpEndpoint(Worker& w, const sockaddr_storage& addr) : w_(w) {
  const int fd = open_bound_socket(addr, SOCK_DGRAM);
  local_ = bound_address(fd);
  // AF_UNSPEC: no socket of libuv's own; the flag turns on recvmmsg for the one we open.
  const unsigned batch = w.runtime().config().udp_recvmmsg ? UV_UDP_RECVMMSG : 0;
  int rc = uv_udp_init_ex(w.loop(), &udp_, AF_UNSPEC | batch);
  if (rc == 0) rc = uv_udp_open(&udp_, fd);
  if (rc != 0) {
    ::close(fd);
    throw std::runtime_error("udp " + sockaddr_to_string(addr) + ": " + uv_strerror(rc));
  }
  udp_.data = this;
  buf_size_ = uv_udp_using_recvmmsg(&udp_) ? kSlot * kBatch : kSlot;
  // Replies are only held inside a recvmmsg batch, whose end libuv signals with UV_UDP_MMSG_FREE.
  use_sendmmsg_ = w.runtime().config().udp_sendmmsg && uv_udp_using_recvmmsg(&udp_);
  if (use_sendmmsg_) held_.reserve(kMaxHeld);
  buf_.reset(new char[buf_size_]);
}

void UdpEndpoint::start() {
  const int rc = uv_udp_recv_start(&udp_, &UdpEndpoint::on_alloc, &UdpEndpoint::on_recv);
  if (rc != 0) spdlog::error("udp {}: cannot read: {}", sockaddr_to_string(local_), uv_strerror(rc));
}

void UdpEndpoint::stop_reading() noexcept {
  if (closed_) return;
  uv_udp_recv_stop(&udp_);
  end_batch();  // libuv reports no end of batch once reading stopped
}

void UdpEndpoint::close() noexcept {
  if (closed_) return;
  end_batch();
  flush_held();
  hold_replies_ = false;
  closed_ = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&udp_), nullptr);
}

void UdpEndpoint::on_alloc(uv_handle_t* h, std::size_t, uv_buf_t* buf) {
  // Every datagram is handled before the next read, so one buffer per socket is reused forever.
  auto* self = static_cast<UdpEndpoint*>(h->data);
  *buf = uv_buf_init(self->buf_.get(), static_cast<unsigned>(self->buf_size_));
}

void UdpEndpoint::on_recv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf, const sockaddr* addr,
                          unsigned flags) {
  auto* self = static_cast<UdpEndpoint*>(h->data);
  if (flags & UV_UDP_MMSG_FREE) {  // end of a batch (the buffer itself is ours and reused)
    self->end_batch();
    return;
  }
  if ((flags & UV_UDP_MMSG_CHUNK) && !self->in_batch_) {
    self->in_batch_ = true;
    self->w_.begin_batch();
  }
  if (nread < 0) {
    spdlog::debug("udp {}: read error: {}", sockaddr_to_string(self->local_),
                  uv_strerror(static_cast<int>(nread)));
    return;
  }
  if (addr == nullptr || nread == 0) return;
  auto& st = self->w_.state();
  if (st.stopped) return;
  const std::string_view bytes(buf->base, static_cast<std::size_t>(nread));
  if (flags & UV_UDP_PARTIAL) {
    st.stats.malformed_dropped.add();
    return;
  }
  // Keepalives some UAs send over UDP (CRLF, RFC 5626 uses STUN instead): nothing to answer.
  if (only_crlf(bytes)) return;
  Source src;
  src.proto = Proto::udp;
  std::memcpy(&src.peer, addr, addr->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
  src.local = self->local_;
  src.worker = self->w_.index();
  deliver(self->w_, src, bytes, sip::Framing::datagram);
}

bool UdpEndpoint::send(const sockaddr_storage& peer, const uv_buf_t* bufs, unsigned n) noexcept {
  if (closed_) return false;
  if (hold_replies_) {
    if (held_.size() == kMaxHeld) flush_held();
    std::size_t size = 0;
    for (unsigned i = 0; i < n; ++i) size += bufs[i].len;
    held_.push_back({peer, static_cast<std::uint32_t>(held_bytes_.size()), static_cast<std::uint32_t>(size)});
    for (unsigned i = 0; i < n; ++i) held_bytes_.append(bufs[i].base, bufs[i].len);
    return true;
  }
  return send_now(peer, bufs, n);
}

void UdpEndpoint::end_batch() noexcept {
  if (!in_batch_) return;
  in_batch_ = false;
  w_.end_batch();  // sends what every socket of the worker held
}

void UdpEndpoint::release() noexcept {
  flush_held();
  hold_replies_ = false;
}

void UdpEndpoint::flush_held() noexcept {
  if (held_.empty()) return;
  mmsghdr msgs[kMaxHeld];
  iovec iov[kMaxHeld];
  const std::size_t n = held_.size();
  for (std::size_t i = 0; i < n; ++i) {
    iov[i] = {held_bytes_.data() + held_[i].offset, held_[i].size};
    msgs[i] = {};
    msgs[i].msg_hdr.msg_name = &held_[i].to;
    msgs[i].msg_hdr.msg_namelen = sockaddr_len(held_[i].to);
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  uv_os_fd_t fd = -1;
  int sent = 0;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(&udp_), &fd) == 0) {
    sent = ::sendmmsg(fd, msgs, static_cast<unsigned>(n), MSG_DONTWAIT);
    if (sent < 0) sent = 0;
  }
  // What the kernel did not take (a full socket buffer) goes the one-by-one way, queued if need be.
  for (std::size_t i = static_cast<std::size_t>(sent); i < n; ++i) {
    const uv_buf_t b = uv_buf_init(held_bytes_.data() + held_[i].offset, held_[i].size);
    if (!send_now(held_[i].to, &b, 1)) w_.state().stats.send_failed.add();
  }
  held_.clear();
  held_bytes_.clear();
}

bool UdpEndpoint::send_now(const sockaddr_storage& peer, const uv_buf_t* bufs, unsigned n) noexcept {
  const auto* to = reinterpret_cast<const sockaddr*>(&peer);
  const int rc = uv_udp_try_send(&udp_, bufs, n, to);
  if (rc >= 0) return true;
  if (rc != UV_EAGAIN) return false;
  // Socket buffer full: queue a copy rather than drop a response.
  auto* q = new QueuedSend;
  for (unsigned i = 0; i < n; ++i) q->data.append(bufs[i].base, bufs[i].len);
  q->req.data = q;
  const uv_buf_t one = uv_buf_init(q->data.data(), static_cast<unsigned>(q->data.size()));
  const int qrc = uv_udp_send(&q->req, &udp_, &one, 1, to,
                              [](uv_udp_send_t* req, int) { delete static_cast<QueuedSend*>(req->data); });
  if (qrc != 0) {
    delete q;
    return false;
  }
  return true;
}

}  // namespace duet::transport
