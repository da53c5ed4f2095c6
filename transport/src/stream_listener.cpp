#include "stream_listener.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "duet/transport/address.hpp"
#include "duet/transport/runtime.hpp"
#include "duet/transport/worker.hpp"
#include "runtime_shared.hpp"
#include "socket_open.hpp"
#include "stream_conn.hpp"
#include "worker_state.hpp"

namespace duet::transport {

namespace {
constexpr int kBacklog = 1024;
}  // namespace

StreamListener::StreamListener(Worker& w, Proto proto, const sockaddr_storage& addr) : w_(w), proto_(proto) {
  const int fd = open_bound_socket(addr, SOCK_STREAM);
  local_ = bound_address(fd);
  // Listen now, not when the worker thread starts: start() returning means connections are queued.
  if (::listen(fd, kBacklog) != 0) {
    const int err = errno;
    ::close(fd);
    throw std::runtime_error("listen " + sockaddr_to_string(addr) + ": " + std::strerror(err));
  }
  int rc = uv_tcp_init(w.loop(), &tcp_);
  if (rc == 0) rc = uv_tcp_open(&tcp_, fd);
  if (rc != 0) {
    ::close(fd);
    throw std::runtime_error(std::string(proto_name(proto)) + " " + sockaddr_to_string(addr) + ": " +
                             uv_strerror(rc));
  }
  tcp_.data = this;
}

void StreamListener::start() {
  const int rc = uv_listen(reinterpret_cast<uv_stream_t*>(&tcp_), kBacklog, &StreamListener::on_connection);
  if (rc != 0) {
    spdlog::error("{} {}: cannot listen: {}", proto_name(proto_), sockaddr_to_string(local_),
                  uv_strerror(rc));
  }
}

void StreamListener::close() noexcept {
  if (closed_) return;
  closed_ = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), nullptr);
}

void StreamListener::on_connection(uv_stream_t* server, int status) {
  auto* self = static_cast<StreamListener*>(server->data);
  auto& w = self->w_;
  if (status < 0) {
    spdlog::warn("{} {}: accept failed: {}", proto_name(self->proto_), sockaddr_to_string(self->local_),
                 uv_strerror(status));
    return;
  }
  auto* tcp = new uv_tcp_t;
  uv_tcp_init(w.loop(), tcp);
  auto drop = [](uv_tcp_t* t) {
    uv_close(reinterpret_cast<uv_handle_t*>(t),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
  };
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(tcp)) != 0) {
    drop(tcp);
    return;
  }
  sockaddr_storage peer{}, local{};
  int len = sizeof peer;
  uv_tcp_getpeername(tcp, reinterpret_cast<sockaddr*>(&peer), &len);
  len = sizeof local;
  uv_tcp_getsockname(tcp, reinterpret_cast<sockaddr*>(&local), &len);
  if (w.state().stopped || w.state().quiesced || !w.runtime().shared().limits.try_acquire(peer)) {
    w.state().stats.connections_rejected.add();
    spdlog::debug("{} {}: refused connection from {} (connection cap)", proto_name(self->proto_),
                  sockaddr_to_string(self->local_), sockaddr_to_string(peer));
    drop(tcp);
    return;
  }
  w.state().stats.connections_accepted.add();
  StreamConn::adopt(w, tcp, self->proto_, local, peer);
}

}  // namespace duet::transport
