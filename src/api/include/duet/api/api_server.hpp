// The HTTP/1.1 JSON API (routes in router.hpp) on a libuv loop — the control loop in the daemon.
//
//   duet::api::ApiServer api(control.loop(), opts, ctx);
//   api.start();   // on the loop's thread, or before the loop runs; throws std::runtime_error
//   ...
//   api.stop();    // on the loop's thread (e.g. a ControlLoop::on_stop hook); the loop must run
//                  // its close callbacks before the ApiServer is destroyed
//
// GET /api/v1/events turns its connection into a Server-Sent Events stream subscribed to
// ctx.events() (see event_hub.hpp): requests pipelined after it are not served, and whatever the
// client sends afterwards is read and ignored; the stream ends when either side closes.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "duet/api/api_context.hpp"
#include "duet/api/router.hpp"

namespace duet::api {

struct ApiOptions {
  std::string ip = "127.0.0.1";  // numeric IPv4 or IPv6
  std::uint16_t port = 8080;     // 0: any free port (see bound_port())
  // Required ("Authorization: Bearer <token>") on every route but /healthz when set; start()
  // refuses an address beyond loopback without one.
  std::string token;
  std::size_t max_header_bytes = 8 * 1024;  // request line + headers; more: 413 and close
  std::size_t max_body_bytes = 64 * 1024;   // more: 413 and close
  std::size_t max_connections = 256;        // more are accepted and closed at once
  std::size_t max_pipelined = 16;           // requests waiting for their answer on one connection
  std::uint32_t idle_timeout_ms = 30'000;   // a keep-alive connection silent this long is closed
  // GET /api/v1/events: a ": keepalive" comment this often on an event stream with nothing queued
  // (the idle timeout does not apply to a stream).
  std::uint32_t sse_keepalive_ms = 15'000;
};

// True for 127.0.0.0/8 and ::1 (and ::ffff:127.x.y.z).
bool is_loopback(const std::string& ip);

class ApiServer {
 public:
  ApiServer(uv_loop_t* loop, const ApiOptions& opts, ApiContext& ctx);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds and listens. Throws std::runtime_error (bad address, port in use, no token beyond loopback).
  void start();
  // Closes the listener and every connection. Idempotent.
  void stop();
  std::uint16_t bound_port() const noexcept { return bound_port_; }
  std::size_t connections() const noexcept;

  struct Stats {
    std::uint64_t requests = 0, bad_requests = 0, oversize = 0, unauthorized = 0, refused_connections = 0;
    std::uint64_t event_streams = 0;  // connections switched to GET /api/v1/events
  };
  const Stats& stats() const noexcept { return stats_; }

  class Connection;  // one accepted socket (api_server.cpp)

 private:
  friend class Connection;
  static void on_connection(uv_stream_t* server, int status);
  void forget(Connection* c);

  uv_loop_t* loop_;
  ApiOptions opts_;
  ApiContext& ctx_;
  Router router_;
  uv_tcp_t listener_{};
  bool listening_ = false;
  std::uint16_t bound_port_ = 0;
  Stats stats_;
  struct Connections;
  std::unique_ptr<Connections> conns_;
};

}  // namespace duet::api
