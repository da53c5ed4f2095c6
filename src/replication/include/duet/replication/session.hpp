// One TCP connection to the peer on the control loop: reads bytes into frames, writes frames.
// The protocol lives in Replicator; a Session only moves bytes and reports what happened.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "duet/replication/frame.hpp"
#include "duet/transport/tls_session.hpp"

namespace duet::replication {

class Session {
 public:
  struct Callbacks {
    std::function<void(Session&, Frame&)> on_frame;  // frame views are valid during the call
    std::function<void(Session&, const std::string& why)> on_closed;
    std::function<void(Session&)> on_connected;  // dialed sessions only
  };

  // dialed: we opened it (connect() follows); else accept() already filled tcp().
  Session(uv_loop_t* loop, std::uint64_t id, bool dialed, Callbacks cb);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  uv_tcp_t* tcp() noexcept { return &tcp_; }
  // Before connect() or start_reading(): the link runs TLS over the TCP connection, with ctx (not
  // owned; it outlives every session). Frames sent before the handshake ends wait for it; a failed
  // handshake (a peer without the right certificate, or not speaking TLS) closes the session.
  // Returns false if OpenSSL could not make the session.
  bool use_tls(SSL_CTX* ctx);
  // Dials peer from local (port 0), then reports on_connected or on_closed.
  bool connect(const sockaddr* local, const sockaddr* peer);
  void start_reading();
  // Queues bytes (one or more whole frames). False if closed.
  bool send(std::string bytes);
  // Closes once: on_closed(why) runs at once, the object is freed when libuv has closed the
  // handle (so the owner must drop its pointer in on_closed). Safe to call more than once.
  void close(const std::string& why);

  std::uint64_t id() const noexcept { return id_; }
  bool dialed() const noexcept { return dialed_; }
  bool closed() const noexcept { return closed_; }
  std::size_t write_queue_bytes() const noexcept { return pending_write_; }
  std::uint64_t last_rx_ms = 0;  // loop time of the last byte received
  std::uint64_t bytes_in = 0, bytes_out = 0;

 private:
  static void on_alloc(uv_handle_t* h, std::size_t suggested, uv_buf_t* buf);
  static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf);
  static void on_connect(uv_connect_t* req, int status);
  static void on_close(uv_handle_t* h);
  bool write_raw(std::string bytes);
  // The bytes read, decrypted when the link runs TLS, are in in_: decode and hand out the frames.
  void decode_frames();
  // TLS: ciphertext read; false if the session closed.
  bool on_ciphertext(const char* data, std::size_t n);
  bool flush_ciphertext();
  ~Session() = default;  // only through close()

  uv_loop_t* loop_;
  uv_tcp_t tcp_{};
  uv_connect_t connect_req_{};
  std::uint64_t id_;
  bool dialed_;
  bool closed_ = false;
  static constexpr std::size_t kReadChunk = 256 * 1024;
  std::unique_ptr<char[]> rbuf_;  // libuv reads here; bytes are then appended to in_
  Callbacks cb_;
  std::string in_;  // received bytes not yet decoded
  std::size_t in_off_ = 0;
  std::size_t pending_write_ = 0;
  Frame frame_;  // reused between frames
  std::unique_ptr<transport::TlsSession> tls_;
  std::string tls_waiting_;  // plaintext sent before the handshake ended
};

}  // namespace duet::replication
