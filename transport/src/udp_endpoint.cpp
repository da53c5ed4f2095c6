#include "udp_endpoint.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "dispatch.hpp"
#include "duet/transport/address.hpp"
#include "duet/transport/runtime.hpp"
#include "duet/transport/worker.hpp"
#include "socket_open.hpp"
#include "stun.hpp"
#include "worker_state.hpp"

namespace duet::transport {

namespace {
// One slot per datagram of a recvmmsg batch: a UDP datagram's payload is at most 65,507 bytes (IPv4).
constexpr std::size_t kSlot = 64 * 1024;
constexpr unsigned kBatch = 16;
// recvmmsg calls per readable event while batches come back full; then the loop's other handles
// (the mailbox, other sockets) get their turn, and epoll reports the rest at once.
constexpr int kMaxReadsPerEvent = 8;

bool only_crlf(std::string_view d) noexcept {
  return d.find_first_not_of("\r\n") == std::string_view::npos;
}

bool would_block(int e) noexcept {
  return e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS;
}
}  // namespace

UdpEndpoint::UdpEndpoint(Worker& w, const sockaddr_storage& addr) : w_(w) {
  fd_ = open_bound_socket(addr, SOCK_DGRAM);  // non-blocking
  local_ = bound_address(fd_);
  const int rc = uv_poll_init_socket(w.loop(), &poll_, fd_);
  if (rc != 0) {
    ::close(fd_);
    throw std::runtime_error("udp " + sockaddr_to_string(addr) + ": " + uv_strerror(rc));
  }
  poll_.data = this;
  batch_ = w.runtime().config().udp_recvmmsg ? kBatch : 1;
  use_sendmmsg_ = w.runtime().config().udp_sendmmsg && batch_ > 1;
  if (use_sendmmsg_) held_.reserve(kMaxHeld);
  buf_.reset(new char[kSlot * batch_]);
  from_.reset(new sockaddr_storage[batch_]);
}

void UdpEndpoint::start() {
  reading_ = true;
  update_poll();
}

void UdpEndpoint::update_poll() noexcept {
  if (closed_) return;
  const int want = (reading_ ? UV_READABLE : 0) | (queued_.empty() ? 0 : UV_WRITABLE);
  if (want == polled_events_) return;
  const int rc = want == 0 ? uv_poll_stop(&poll_) : uv_poll_start(&poll_, want, &UdpEndpoint::on_poll);
  if (rc != 0) {
    spdlog::error("udp {}: cannot poll: {}", sockaddr_to_string(local_), uv_strerror(rc));
    return;
  }
  polled_events_ = want;
}

void UdpEndpoint::stop_reading() noexcept {
  if (closed_) return;
  reading_ = false;
  update_poll();
}

void UdpEndpoint::close() noexcept {
  if (closed_) return;
  flush_held();
  hold_replies_ = false;
  closed_ = true;
  queued_.clear();
  // uv_close stops the watcher at once, so the descriptor can be closed now.
  uv_close(reinterpret_cast<uv_handle_t*>(&poll_), nullptr);
  ::close(fd_);
  fd_ = -1;
}

void UdpEndpoint::on_poll(uv_poll_t* h, int status, int events) {
  auto* self = static_cast<UdpEndpoint*>(h->data);
  if (status < 0) {
    spdlog::debug("udp {}: poll error: {}", sockaddr_to_string(self->local_), uv_strerror(status));
    return;
  }
  if (events & UV_WRITABLE) self->write_ready();
  if ((events & UV_READABLE) && self->reading_) self->read_ready();
}

void UdpEndpoint::read_ready() noexcept {
  mmsghdr msgs[kBatch];
  iovec iov[kBatch];
  // One worker batch for the whole event: every reply made while handling what was read here
  // leaves in one sendmmsg when it ends (Worker::end_batch), tasks posted meanwhile wake once.
  Worker::Batch batch(w_);
  for (int round = 0; round < kMaxReadsPerEvent && reading_ && !closed_; ++round) {
    for (unsigned i = 0; i < batch_; ++i) {
      iov[i] = {buf_.get() + i * kSlot, kSlot};
      msgs[i] = {};
      msgs[i].msg_hdr.msg_name = &from_[i];
      msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    const int got = ::recvmmsg(fd_, msgs, batch_, MSG_DONTWAIT, nullptr);
    if (got < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        spdlog::debug("udp {}: read error: {}", sockaddr_to_string(local_), std::strerror(errno));
      }
      return;
    }
    for (int i = 0; i < got; ++i) {
      if (msgs[i].msg_hdr.msg_namelen == 0) continue;  // no source address: nowhere to answer
      handle_datagram(buf_.get() + static_cast<std::size_t>(i) * kSlot, msgs[i].msg_len, from_[i],
                      msgs[i].msg_hdr.msg_flags);
      if (closed_) return;
    }
    // A short batch: the socket is drained. Reading again would only return EAGAIN.
    if (static_cast<unsigned>(got) < batch_) return;
  }
}

void UdpEndpoint::handle_datagram(const char* data, std::size_t len, const sockaddr_storage& from,
                                  int msg_flags) noexcept {
  auto& st = w_.state();
  if (st.stopped || len == 0) return;
  if (msg_flags & MSG_TRUNC) {  // larger than a slot: not a datagram SIP can use
    st.stats.malformed_dropped.add();
    return;
  }
  const std::string_view bytes(data, len);
  // Keepalives some UAs send over UDP (CRLF): nothing to answer.
  if (only_crlf(bytes)) return;
  // RFC 5626's UDP keepalive, a STUN Binding request on the SIP port (§4.4.2, §8.4): answered here.
  if (looks_like_stun(bytes)) {
    std::uint8_t rsp[kStunResponseMax];
    const std::size_t n = stun_binding_response(bytes, from, rsp);
    if (n == 0) {
      st.stats.malformed_dropped.add();
      return;
    }
    const uv_buf_t b = uv_buf_init(reinterpret_cast<char*>(rsp), static_cast<unsigned>(n));
    if (send(from, &b, 1)) st.stats.keepalive_pings.add();
    return;
  }
  Source src;
  src.proto = Proto::udp;
  std::memcpy(&src.peer, &from, from.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
  src.local = local_;
  src.worker = w_.index();
  deliver(w_, src, bytes, sip::Framing::datagram);
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
  // Nothing may overtake a datagram already waiting for room.
  int sent = 0;
  if (queued_.empty() && fd_ >= 0) {
    sent = ::sendmmsg(fd_, msgs, static_cast<unsigned>(n), MSG_DONTWAIT);
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
  if (fd_ < 0) return false;
  if (queued_.empty()) {
    iovec iov[64];
    if (n > 64) return false;
    for (unsigned i = 0; i < n; ++i) iov[i] = {bufs[i].base, bufs[i].len};
    msghdr m{};
    m.msg_name = const_cast<sockaddr_storage*>(&peer);
    m.msg_namelen = sockaddr_len(peer);
    m.msg_iov = iov;
    m.msg_iovlen = n;
    if (::sendmsg(fd_, &m, MSG_DONTWAIT) >= 0) return true;
    if (!would_block(errno)) return false;
  }
  // Socket buffer full: queue a copy rather than drop a response, and send it once there is room.
  if (queued_.size() >= kMaxQueued) return false;
  Queued q;
  q.to = peer;
  for (unsigned i = 0; i < n; ++i) q.data.append(bufs[i].base, bufs[i].len);
  queued_.push_back(std::move(q));
  update_poll();
  return true;
}

void UdpEndpoint::write_ready() noexcept {
  while (!queued_.empty() && fd_ >= 0) {
    const Queued& q = queued_.front();
    const ssize_t rc = ::sendto(fd_, q.data.data(), q.data.size(), MSG_DONTWAIT,
                                reinterpret_cast<const sockaddr*>(&q.to), sockaddr_len(q.to));
    if (rc < 0 && would_block(errno)) break;
    if (rc < 0) w_.state().stats.send_failed.add();
    queued_.pop_front();
  }
  update_poll();
}

}  // namespace duet::transport
