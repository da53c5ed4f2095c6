#include "duet/replication/session.hpp"

#include <memory>

namespace duet::replication {
namespace {

struct WriteReq {
  uv_write_t req;
  std::string bytes;
  Session* session;
  std::size_t* pending;
};

}  // namespace

Session::Session(uv_loop_t* loop, std::uint64_t id, bool dialed, Callbacks cb)
    : loop_(loop), id_(id), dialed_(dialed), cb_(std::move(cb)) {
  uv_tcp_init(loop_, &tcp_);
  uv_tcp_nodelay(&tcp_, 1);
  tcp_.data = this;
  last_rx_ms = uv_now(loop_);
}

bool Session::connect(const sockaddr* local, const sockaddr* peer) {
  if (local != nullptr && uv_tcp_bind(&tcp_, local, 0) != 0) return false;
  connect_req_.data = this;
  return uv_tcp_connect(&connect_req_, &tcp_, peer, &Session::on_connect) == 0;
}

void Session::on_connect(uv_connect_t* req, int status) {
  auto* s = static_cast<Session*>(req->data);
  if (s->closed_) return;
  if (status != 0) {
    s->close(std::string("connect: ") + uv_strerror(status));
    return;
  }
  s->last_rx_ms = uv_now(s->loop_);
  if (s->cb_.on_connected) s->cb_.on_connected(*s);
}

bool Session::use_tls(SSL_CTX* ctx) {
  tls_ = std::make_unique<transport::TlsSession>(ctx, dialed_);
  return tls_->ok();
}

void Session::start_reading() {
  if (tls_ && !tls_->ok()) {
    close("TLS: cannot make a session (OpenSSL)");
    return;
  }
  uv_tcp_nodelay(&tcp_, 1);
  uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), &Session::on_alloc, &Session::on_read);
  // The dialing end speaks first: its ClientHello.
  if (tls_ && dialed_ && tls_->handshake() < 0) {
    close("TLS: " + tls_->failure());
    return;
  }
  if (tls_) flush_ciphertext();
}

void Session::on_alloc(uv_handle_t* h, std::size_t, uv_buf_t* buf) {
  auto* s = static_cast<Session*>(h->data);
  // A fixed read buffer: growing in_ by a chunk per read would zero-fill it every time.
  if (!s->rbuf_) s->rbuf_ = std::make_unique<char[]>(kReadChunk);
  *buf = uv_buf_init(s->rbuf_.get(), kReadChunk);
}

void Session::on_read(uv_stream_t* stream, ssize_t n, const uv_buf_t*) {
  auto* s = static_cast<Session*>(stream->data);
  if (n < 0) {
    s->close(n == UV_EOF ? "closed by peer" : std::string("read: ") + uv_strerror(static_cast<int>(n)));
    return;
  }
  if (n == 0) return;
  s->bytes_in += static_cast<std::uint64_t>(n);
  s->last_rx_ms = uv_now(s->loop_);
  // Drop what was decoded before appending: in_ holds at most one partial frame plus this read.
  if (s->in_off_ > 0) {
    s->in_.erase(0, s->in_off_);
    s->in_off_ = 0;
  }
  if (s->tls_) {
    if (!s->on_ciphertext(s->rbuf_.get(), static_cast<std::size_t>(n))) return;
  } else {
    s->in_.append(s->rbuf_.get(), static_cast<std::size_t>(n));
  }
  s->decode_frames();
}

bool Session::on_ciphertext(const char* data, std::size_t n) {
  if (!tls_->put_ciphertext(data, n)) {
    close("TLS: out of memory");
    return false;
  }
  if (!tls_->handshake_done()) {
    const int r = tls_->handshake();
    if (r < 0) {
      flush_ciphertext();  // the alert, if any, tells the peer why
      close("TLS: " + tls_->failure());
      return false;
    }
    if (!flush_ciphertext()) return false;
    if (r == 0) return true;
    // Handshake done: the frames queued meanwhile leave now.
    if (!tls_waiting_.empty()) {
      std::string waiting;
      waiting.swap(tls_waiting_);
      if (!send(std::move(waiting))) return false;
    }
  }
  // Decrypt in place of the read buffer's reuse: rbuf_ is free again once its bytes are in the BIO.
  for (;;) {
    const long got = tls_->read_plain(rbuf_.get(), kReadChunk);
    if (got == 0) break;
    if (got < 0) {
      close("TLS: " + tls_->failure());
      return false;
    }
    in_.append(rbuf_.get(), static_cast<std::size_t>(got));
  }
  return flush_ciphertext();  // post-handshake messages (tickets, key updates) OpenSSL answers
}

void Session::decode_frames() {
  while (!closed_) {
    std::size_t used = 0;
    std::string why;
    const auto st = decode_frame(std::string_view(in_).substr(in_off_), frame_, used, &why);
    if (st == DecodeStatus::need_more) break;
    if (st == DecodeStatus::error) {
      close("bad frame: " + why);
      return;
    }
    in_off_ += used;
    cb_.on_frame(*this, frame_);
  }
}

bool Session::flush_ciphertext() {
  std::string out;
  if (!tls_->take_ciphertext(out)) return !closed_;
  return write_raw(std::move(out));
}

bool Session::send(std::string bytes) {
  if (closed_ || bytes.empty()) return !closed_;
  if (!tls_) return write_raw(std::move(bytes));
  if (!tls_->handshake_done()) {
    tls_waiting_ += bytes;
    return true;
  }
  if (!tls_->write_plain(bytes.data(), bytes.size())) {
    close("TLS: cannot encrypt");
    return false;
  }
  return flush_ciphertext();
}

bool Session::write_raw(std::string bytes) {
  if (closed_) return false;
  auto* w = new WriteReq{{}, std::move(bytes), this, &pending_write_};
  w->req.data = w;
  pending_write_ += w->bytes.size();
  bytes_out += w->bytes.size();
  uv_buf_t buf = uv_buf_init(w->bytes.data(), static_cast<unsigned>(w->bytes.size()));
  const int rc = uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&tcp_), &buf, 1, [](uv_write_t* req, int) {
    auto* wr = static_cast<WriteReq*>(req->data);
    *wr->pending -= wr->bytes.size();
    delete wr;
  });
  if (rc != 0) {
    pending_write_ -= w->bytes.size();
    delete w;
    close(std::string("write: ") + uv_strerror(rc));
    return false;
  }
  return true;
}

void Session::close(const std::string& why) {
  if (closed_) return;
  closed_ = true;
  if (cb_.on_closed) cb_.on_closed(*this, why);
  // Freed by the close callback, after libuv has cancelled pending writes and the connect.
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), &Session::on_close);
}

void Session::on_close(uv_handle_t* h) {
  delete static_cast<Session*>(h->data);
}

}  // namespace duet::replication
