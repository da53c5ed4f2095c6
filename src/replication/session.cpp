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

void Session::start_reading() {
  uv_tcp_nodelay(&tcp_, 1);
  uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), &Session::on_alloc, &Session::on_read);
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
  // Drop what was decoded before appending: in_ holds at most one partial frame plus this read.
  if (s->in_off_ > 0) {
    s->in_.erase(0, s->in_off_);
    s->in_off_ = 0;
  }
  s->in_.append(s->rbuf_.get(), static_cast<std::size_t>(n));
  s->bytes_in += static_cast<std::uint64_t>(n);
  s->last_rx_ms = uv_now(s->loop_);
  while (!s->closed_) {
    std::size_t used = 0;
    std::string why;
    const auto st = decode_frame(std::string_view(s->in_).substr(s->in_off_), s->frame_, used, &why);
    if (st == DecodeStatus::need_more) break;
    if (st == DecodeStatus::error) {
      s->close("bad frame: " + why);
      return;
    }
    s->in_off_ += used;
    s->cb_.on_frame(*s, s->frame_);
  }
}

bool Session::send(std::string bytes) {
  if (closed_ || bytes.empty()) return !closed_;
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
