// One TCP or TLS connection, accepted or opened by us (dial): reads into a buffer that holds at most
// one message past the limit, cuts it into messages with sip::next_frame, answers keepalive pings,
// writes. A connection we open holds what is written to it until it is connected (and, for TLS,
// until the handshake is done), so a request can be sent on it at once.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "duet/sip/error.hpp"
#include "duet/sip/writer.hpp"
#include "duet/transport/source.hpp"
#include "duet/transport/tls_session.hpp"

namespace duet::transport {

class Worker;

class StreamConn {
 public:
  // Takes over an accepted handle (already initialised on w's loop); starts reading.
  static StreamConn* adopt(Worker& w, uv_tcp_t* tcp, Proto proto, const sockaddr_storage& local,
                           const sockaddr_storage& peer);

  // Opens a connection to peer (bound to local's address when it is not a wildcard; port chosen by
  // the kernel), registered in the worker's connections and its dialled index at once. server_name:
  // the name (or address) a TLS server's certificate must carry; empty: peer's address. Null if the
  // socket could not even be started (the caller sees a send failure).
  static StreamConn* dial(Worker& w, Proto proto, const sockaddr_storage& local, const sockaddr_storage& peer,
                          const std::string& server_name, bool reserved = false);
  // "tcp|1.2.3.4:5060": the dialled index's key (transport and remote address, RFC 3261 §18.1.1);
  // for TLS also the name the certificate was checked against ("tls|1.2.3.4:5061|example.com"), so a
  // connection checked for one name never carries requests meant for another.
  static std::string dial_key(Proto proto, const sockaddr_storage& peer, const std::string& server_name);

  const Source& source() const noexcept { return src_; }
  // Dialled, and not yet connected (or, for TLS, not yet through the handshake).
  bool connecting() const noexcept { return !ready_; }
  std::uint64_t dialled_at_ms() const noexcept { return dialled_at_ms_; }
  std::uint64_t last_active_ms() const noexcept { return last_rx_ms_; }
  // When the bytes of a message not yet whole (or of a TLS handshake a client began) started
  // arriving; 0 when nothing is pending.
  std::uint64_t partial_since_ms() const noexcept { return partial_since_ms_; }
  bool closing() const noexcept { return closing_; }

  bool write(std::string_view bytes) noexcept;
  bool writev(const sip::Slice* s, std::size_t n) noexcept;
  void stop_reading() noexcept;
  // Sends what is queued, then closes (close_notify first for TLS).
  void close_gracefully() noexcept;
  void close_now() noexcept;

 private:
  StreamConn(Worker& w, uv_tcp_t* tcp, Proto proto);
  ~StreamConn();
  static void on_alloc(uv_handle_t* h, std::size_t suggested, uv_buf_t* buf);
  static void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf);
  static void on_closed(uv_handle_t* h);
  static void on_shutdown(uv_shutdown_t* req, int status);
  static void on_connect(uv_connect_t* req, int status);
  void became_ready();  // connected (and TLS handshake done): what was queued goes out

  bool reserve_tail() noexcept;  // room to read into; false when the buffer is at its limit
  void on_plaintext();           // frames the buffered bytes
  void on_ciphertext(const char* data, std::size_t n);
  void reject_frame(std::string_view avail, sip::ParseError err);
  bool raw_write(const uv_buf_t* bufs, unsigned n) noexcept;
  bool flush_tls() noexcept;

  Worker& w_;
  uv_tcp_t* tcp_;
  Source src_;
  std::unique_ptr<TlsSession> tls_;
  std::vector<char> buf_;
  std::size_t begin_ = 0, end_ = 0, max_buf_;
  std::uint64_t last_rx_ms_ = 0;
  std::uint64_t partial_since_ms_ = 0;
  std::string tls_out_;
  bool closing_ = false;
  bool shutting_down_ = false;
  bool counted_ = true;   // holds a slot in ConnLimits
  bool ready_ = true;     // false while a dialled connection connects and shakes hands
  std::string dial_key_;  // non-empty for a connection we opened (its entry in WorkerState::dialled)
  std::string queued_;    // plaintext written before ready_
  std::uint64_t dialled_at_ms_ = 0;
};

}  // namespace duet::transport
