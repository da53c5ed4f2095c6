// A TCP or TLS listening socket of one worker (SO_REUSEPORT). Accepts within the connection caps.
#pragma once

#include <uv.h>

#include "duet/transport/source.hpp"

namespace duet::transport {

class Worker;

class StreamListener {
 public:
  StreamListener(Worker& w, Proto proto, const sockaddr_storage& addr);  // binds; throws
  const sockaddr_storage& local() const noexcept { return local_; }
  Proto proto() const noexcept { return proto_; }
  void start();
  void close() noexcept;

 private:
  static void on_connection(uv_stream_t* server, int status);
  Worker& w_;
  Proto proto_;
  uv_tcp_t tcp_{};
  sockaddr_storage local_{};
  bool closed_ = false;
};

}  // namespace duet::transport
