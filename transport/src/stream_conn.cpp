#include "stream_conn.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

#include "dispatch.hpp"
#include "duet/sip/framer.hpp"
#include "duet/transport/address.hpp"
#include "duet/transport/handler.hpp"
#include "duet/transport/runtime.hpp"
#include "duet/transport/worker.hpp"
#include "runtime_shared.hpp"
#include "worker_lifecycle.hpp"
#include "worker_state.hpp"

namespace duet::transport {

namespace {
// A peer that does not read its responses must not make us buffer without bound.
constexpr std::size_t kMaxQueuedWrite = 4 << 20;
// What a connection we open holds before it is up: a few requests, not a peer's worth of backlog
// (up to max_outbound_connections of them may be connecting at once).
constexpr std::size_t kMaxQueuedBeforeReady = 256 << 10;
constexpr std::size_t kInitialBuf = 4096;
constexpr std::size_t kKeepBuf = 16 * 1024;

struct WriteReq {
  uv_write_t req;
  std::string data;
};

uv_stream_t* stream(uv_tcp_t* t) {
  return reinterpret_cast<uv_stream_t*>(t);
}
uv_handle_t* handle(uv_tcp_t* t) {
  return reinterpret_cast<uv_handle_t*>(t);
}
}  // namespace

StreamConn::StreamConn(Worker& w, uv_tcp_t* tcp, Proto proto) : w_(w), tcp_(tcp) {
  src_.proto = proto;
  // The low 48 bits count per worker and the high bits name it, so ids never repeat across workers.
  src_.conn_id = (static_cast<std::uint64_t>(w.index()) + 1) << 48 | w.state().next_conn_seq++;
  src_.worker = w.index();
  // One message at the limit plus the start of the next one that was pipelined behind it.
  max_buf_ = w.runtime().config().max_message_size + kInitialBuf;
  last_rx_ms_ = w.now_ms();
  tcp_->data = this;
}

StreamConn::~StreamConn() = default;

StreamConn* StreamConn::adopt(Worker& w, uv_tcp_t* tcp, Proto proto, const sockaddr_storage& local,
                              const sockaddr_storage& peer) {
  auto* c = new StreamConn(w, tcp, proto);
  c->src_.local = local;
  c->src_.peer = peer;
  if (proto == Proto::tls) {
    c->tls_ = std::make_unique<TlsSession>(w.runtime().shared().tls.get());
    if (!c->tls_->ok()) {
      w.state().conns.emplace(c->src_.conn_id, c);
      c->close_now();
      return nullptr;
    }
  }
  uv_tcp_nodelay(tcp, 1);
  w.state().conns.emplace(c->src_.conn_id, c);
  const int rc = uv_read_start(stream(tcp), &StreamConn::on_alloc, &StreamConn::on_read);
  if (rc != 0) {
    c->close_now();
    return nullptr;
  }
  return c;
}

std::string StreamConn::dial_key(Proto proto, const sockaddr_storage& peer, const std::string& server_name) {
  std::string k(proto_name(proto));
  k += '|';
  k += sockaddr_to_string(peer);
  if (proto == Proto::tls) {
    k += '|';
    k += server_name;
  }
  return k;
}

StreamConn* StreamConn::dial(Worker& w, Proto proto, const sockaddr_storage& local,
                             const sockaddr_storage& peer, const std::string& server_name, bool reserved) {
  auto& st = w.state();
  SSL_CTX* ctx = proto == Proto::tls ? w.runtime().shared().tls_client.get() : nullptr;
  if (st.stopped || st.quiesced || st.closing || proto == Proto::udp || (proto == Proto::tls && !ctx)) {
    return nullptr;
  }
  if (st.dialled.size() >=
      w.runtime().config().max_outbound_connections + (reserved ? Worker::kReservedConnections : 0u)) {
    st.stats.connections_rejected.add();
    spdlog::warn("{} {}: not connecting: {} connections of this worker's are open already", proto_name(proto),
                 sockaddr_to_string(peer), st.dialled.size());
    return nullptr;
  }
  auto* tcp = new uv_tcp_t;
  uv_tcp_init(w.loop(), tcp);
  auto* c = new StreamConn(w, tcp, proto);
  c->counted_ = false;  // the caps are for connections others open to us
  c->src_.peer = peer;
  c->src_.local = local;
  c->src_.conn_id |= kDialledConnBit;
  c->dial_key_ = dial_key(proto, peer, server_name);
  c->dialled_at_ms_ = w.now_ms();
  st.conns.emplace(c->src_.conn_id, c);
  st.dialled[c->dial_key_] = c->src_.conn_id;
  st.stats.connections_dialled.add();
  auto fail_now = [c]() -> StreamConn* {
    c->close_now();  // ready_ stays true: the caller learns of it from the null, not the handler
    return nullptr;
  };
  if (ctx) {
    c->tls_ = std::make_unique<TlsSession>(ctx, true);
    char ip[kIpStrLen];
    const std::string name =
        server_name.empty() ? std::string(sockaddr_ip(peer, ip, sizeof ip)) : server_name;
    if (!c->tls_->ok() || !c->tls_->expect_server(name)) return fail_now();
  }
  // From the listener's address when it is a specific one, so the far end sees the address our
  // Via and Record-Route name; the port is the kernel's.
  char lip[kIpStrLen];
  const std::string_view l = sockaddr_ip(local, lip, sizeof lip);
  if (local.ss_family == peer.ss_family && !l.empty() && l != "0.0.0.0" && l != "::") {
    sockaddr_storage b = local;
    set_sockaddr_port(b, 0);
    if (uv_tcp_bind(tcp, reinterpret_cast<const sockaddr*>(&b), 0) != 0) return fail_now();
  }
  auto* req = new uv_connect_t;
  req->data = c;
  if (uv_tcp_connect(req, tcp, reinterpret_cast<const sockaddr*>(&peer), &StreamConn::on_connect) != 0) {
    delete req;
    return fail_now();
  }
  c->ready_ = false;
  return c;
}

void StreamConn::on_connect(uv_connect_t* req, int status) {
  auto* self = static_cast<StreamConn*>(req->data);
  delete req;
  if (status == UV_ECANCELED || self->closing_) return;  // closed meanwhile: on_closed reports it
  auto& st = self->w_.state();
  if (status < 0) {
    spdlog::warn("{} {}: cannot connect: {}", proto_name(self->src_.proto),
                 sockaddr_to_string(self->src_.peer), uv_strerror(status));
    self->close_now();
    return;
  }
  int len = sizeof self->src_.local;
  uv_tcp_getsockname(self->tcp_, reinterpret_cast<sockaddr*>(&self->src_.local), &len);
  uv_tcp_nodelay(self->tcp_, 1);
  self->last_rx_ms_ = self->w_.now_ms();
  if (uv_read_start(stream(self->tcp_), &StreamConn::on_alloc, &StreamConn::on_read) != 0) {
    self->close_now();
    return;
  }
  if (!self->tls_) {
    self->became_ready();
    return;
  }
  // The ClientHello; the rest of the handshake runs in on_ciphertext as the server answers.
  if (self->tls_->handshake() < 0) {
    st.stats.tls_handshake_failed.add();
    self->close_now();
    return;
  }
  self->flush_tls();
}

void StreamConn::became_ready() {
  ready_ = true;
  if (queued_.empty()) return;
  std::string q;
  q.swap(queued_);
  write(q);
}

bool StreamConn::reserve_tail() noexcept {
  if (end_ < buf_.size()) return true;
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
    if (end_ < buf_.size()) return true;
  }
  if (buf_.size() >= max_buf_) return false;
  buf_.resize(std::min(std::max(buf_.size() * 2, kInitialBuf), max_buf_));
  return true;
}

void StreamConn::on_alloc(uv_handle_t* h, std::size_t, uv_buf_t* buf) {
  auto* self = static_cast<StreamConn*>(h->data);
  if (self->tls_) {
    auto& scratch = self->w_.state().tls_scratch;
    *buf = uv_buf_init(scratch.data(), static_cast<unsigned>(scratch.size()));
    return;
  }
  // Zero length when full: libuv then reports UV_ENOBUFS and on_read closes for oversize.
  if (!self->reserve_tail()) {
    *buf = uv_buf_init(nullptr, 0);
    return;
  }
  *buf = uv_buf_init(self->buf_.data() + self->end_, static_cast<unsigned>(self->buf_.size() - self->end_));
}

void StreamConn::on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<StreamConn*>(s->data);
  if (self->closing_) return;
  if (nread == UV_ENOBUFS) {
    self->reject_frame({self->buf_.data() + self->begin_, self->end_ - self->begin_},
                       sip::ParseError::message_too_large);
    return;
  }
  if (nread < 0) {  // EOF or reset: whatever was complete has been handled
    self->close_now();
    return;
  }
  if (nread == 0) return;
  self->last_rx_ms_ = self->w_.now_ms();
  if (self->tls_) {
    self->on_ciphertext(buf->base, static_cast<std::size_t>(nread));
    return;
  }
  self->end_ += static_cast<std::size_t>(nread);
  self->on_plaintext();
}

void StreamConn::on_ciphertext(const char* data, std::size_t n) {
  auto& st = w_.state();
  if (!tls_->put_ciphertext(data, n)) {
    close_now();
    return;
  }
  if (!tls_->handshake_done()) {
    const int r = tls_->handshake();
    flush_tls();
    if (r < 0) {
      st.stats.tls_handshake_failed.add();
      if (!dial_key_.empty()) {
        // A next hop we chose: the operator needs to know why calls to it fail.
        spdlog::warn("tls {}: handshake failed: {}", sockaddr_to_string(src_.peer), tls_->failure());
      } else {
        spdlog::debug("tls handshake with {} failed", sockaddr_to_string(src_.peer));
      }
      close_now();
      return;
    }
    if (r == 0) {
      // An accepted client's handshake under way counts as a message begun (Worker's sweep).
      if (dial_key_.empty() && partial_since_ms_ == 0) partial_since_ms_ = w_.now_ms();
      return;
    }
    partial_since_ms_ = 0;
    if (!ready_) {
      became_ready();
      if (closing_) return;
    }
  }
  for (;;) {
    if (!reserve_tail()) {
      on_plaintext();
      if (closing_) return;
      if (!reserve_tail()) {
        reject_frame({buf_.data() + begin_, end_ - begin_}, sip::ParseError::message_too_large);
        return;
      }
    }
    const long got = tls_->read_plain(buf_.data() + end_, buf_.size() - end_);
    if (got > 0) {
      end_ += static_cast<std::size_t>(got);
      continue;
    }
    if (got < 0) {  // close_notify or a protocol error
      on_plaintext();
      if (!closing_) close_gracefully();
      return;
    }
    break;
  }
  on_plaintext();
  if (!closing_) flush_tls();
}

void StreamConn::on_plaintext() {
  auto& st = w_.state();
  sip::Limits limits;
  limits.max_message_size = w_.runtime().config().max_message_size;
  bool framed = false;  // a whole frame was taken: what is left began after it
  while (!closing_ && begin_ < end_) {
    const std::string_view avail(buf_.data() + begin_, end_ - begin_);
    const auto f = sip::next_frame(avail, limits);
    switch (f.kind) {
      case sip::FrameKind::need_more:
        if (begin_ == 0 && end_ >= max_buf_) reject_frame(avail, sip::ParseError::message_too_large);
        goto done;
      case sip::FrameKind::ping:
        // RFC 5626 §4.4.1: a double-CRLF ping is answered with a single CRLF pong.
        st.stats.keepalive_pings.add();
        write("\r\n");
        begin_ += f.size;
        framed = true;
        break;
      case sip::FrameKind::pong:
        begin_ += f.size;
        framed = true;
        break;
      case sip::FrameKind::message:
        deliver(w_, src_, avail.substr(0, f.size), sip::Framing::stream);
        begin_ += f.size;
        framed = true;
        break;
      case sip::FrameKind::error:
        reject_frame(avail, f.error);
        return;
    }
    if (f.size == 0 && f.kind != sip::FrameKind::need_more) break;  // never spin on a zero-size frame
  }
done:
  // Bytes of a message still to come: left over after framing (but not line ends alone, which
  // clients send as keepalives or after a message), or a TLS record still arriving.
  const bool pending =
      (begin_ != end_ && std::string_view(buf_.data() + begin_, end_ - begin_).find_first_not_of("\r\n") !=
                             std::string_view::npos) ||
      (tls_ && tls_->input_pending());
  if (!pending) {
    partial_since_ms_ = 0;
  } else if (framed || partial_since_ms_ == 0) {
    // The read timeout runs from the first byte of the message still pending, not from the first
    // partial read of the connection: a busy trunk whose reads always end mid-message is fine.
    partial_since_ms_ = w_.now_ms();
  }
  if (begin_ == end_) {
    begin_ = end_ = 0;
    // One large message must not pin its buffer for the life of a connection that is mostly idle
    // (50,000 connections x 64 KiB would be 3 GiB).
    if (buf_.size() > kKeepBuf) std::vector<char>().swap(buf_);
  }
}

void StreamConn::reject_frame(std::string_view avail, sip::ParseError err) {
  auto& st = w_.state();
  answer_malformed(w_, src_, avail, err);
  st.stats.oversize_closed.add();
  spdlog::debug("{} {}: closing after unframeable input: {}", proto_name(src_.proto),
                sockaddr_to_string(src_.peer), sip::reason(err));
  close_gracefully();
}

bool StreamConn::raw_write(const uv_buf_t* bufs, unsigned n) noexcept {
  if (uv_is_closing(handle(tcp_))) return false;
  std::size_t total = 0;
  for (unsigned i = 0; i < n; ++i) total += bufs[i].len;
  if (total == 0) return true;
  if (uv_stream_get_write_queue_size(stream(tcp_)) > kMaxQueuedWrite) {
    spdlog::debug("{} {}: peer does not read, closing", proto_name(src_.proto),
                  sockaddr_to_string(src_.peer));
    close_now();
    return false;
  }
  const int r = uv_try_write(stream(tcp_), bufs, n);
  if (r >= 0 && static_cast<std::size_t>(r) == total) return true;
  if (r < 0 && r != UV_EAGAIN) {
    close_now();
    return false;
  }
  // Queue a copy of what the kernel did not take, in order behind anything already queued.
  std::size_t skip = r > 0 ? static_cast<std::size_t>(r) : 0;
  auto* q = new WriteReq;
  q->data.reserve(total - skip);
  for (unsigned i = 0; i < n; ++i) {
    const std::size_t len = bufs[i].len;
    if (skip >= len) {
      skip -= len;
      continue;
    }
    q->data.append(bufs[i].base + skip, len - skip);
    skip = 0;
  }
  q->req.data = q;
  const uv_buf_t one = uv_buf_init(q->data.data(), static_cast<unsigned>(q->data.size()));
  const int rc = uv_write(&q->req, stream(tcp_), &one, 1,
                          [](uv_write_t* req, int) { delete static_cast<WriteReq*>(req->data); });
  if (rc != 0) {
    delete q;
    close_now();
    return false;
  }
  return true;
}

bool StreamConn::flush_tls() noexcept {
  tls_out_.clear();
  if (!tls_->take_ciphertext(tls_out_)) return true;
  const uv_buf_t b = uv_buf_init(tls_out_.data(), static_cast<unsigned>(tls_out_.size()));
  return raw_write(&b, 1);
}

bool StreamConn::write(std::string_view bytes) noexcept {
  const sip::Slice s{bytes.data(), bytes.size()};
  return writev(&s, 1);
}

bool StreamConn::writev(const sip::Slice* s, std::size_t n) noexcept {
  if (closing_) return false;
  if (!ready_) {
    // Dialled and not connected yet: kept in order until it is.
    std::size_t total = queued_.size();
    for (std::size_t i = 0; i < n; ++i) total += s[i].size;
    if (total > kMaxQueuedBeforeReady) return false;
    for (std::size_t i = 0; i < n; ++i) queued_.append(s[i].data, s[i].size);
    return true;
  }
  if (tls_) {
    if (!tls_->handshake_done()) return false;
    for (std::size_t i = 0; i < n; ++i) {
      if (!tls_->write_plain(s[i].data, s[i].size)) {
        close_now();
        return false;
      }
    }
    return flush_tls();
  }
  constexpr std::size_t kMaxBufs = 64;
  if (n > kMaxBufs) return false;
  uv_buf_t bufs[kMaxBufs];
  for (std::size_t i = 0; i < n; ++i)
    bufs[i] = uv_buf_init(const_cast<char*>(s[i].data), static_cast<unsigned>(s[i].size));
  return raw_write(bufs, static_cast<unsigned>(n));
}

void StreamConn::stop_reading() noexcept {
  if (!uv_is_closing(handle(tcp_))) uv_read_stop(stream(tcp_));
}

void StreamConn::close_gracefully() noexcept {
  if (closing_) return;
  closing_ = true;
  stop_reading();
  if (tls_) {
    tls_->shutdown();
    flush_tls();
  }
  if (uv_is_closing(handle(tcp_))) return;
  auto* req = new uv_shutdown_t;
  req->data = this;
  if (uv_shutdown(req, stream(tcp_), &StreamConn::on_shutdown) != 0) {
    delete req;
    uv_close(handle(tcp_), &StreamConn::on_closed);
  }
}

void StreamConn::on_shutdown(uv_shutdown_t* req, int) {
  auto* self = static_cast<StreamConn*>(req->data);
  delete req;
  if (!uv_is_closing(handle(self->tcp_))) uv_close(handle(self->tcp_), &StreamConn::on_closed);
}

void StreamConn::close_now() noexcept {
  closing_ = true;
  if (!uv_is_closing(handle(tcp_))) uv_close(handle(tcp_), &StreamConn::on_closed);
}

void StreamConn::on_closed(uv_handle_t* h) {
  auto* self = static_cast<StreamConn*>(h->data);
  auto& w = self->w_;
  auto& st = w.state();
  st.conns.erase(self->src_.conn_id);
  if (!self->dial_key_.empty()) {
    const auto it = st.dialled.find(self->dial_key_);
    if (it != st.dialled.end() && it->second == self->src_.conn_id) st.dialled.erase(it);
    if (!self->ready_) {
      st.stats.connect_failed.add();
      // During a stop the handler is gone (and nobody waits any more).
      if (!st.closing && !st.stopped) w.runtime().handler().on_connection_failed(w, self->src_);
    }
  }
  if (self->counted_) w.runtime().shared().limits.release(self->src_.peer);
  delete reinterpret_cast<uv_tcp_t*>(h);
  delete self;
  connection_closed(w);
}

}  // namespace duet::transport
