// A Handler that records what it gets and answers requests with 200 OK the way the SIP service
// will (received/rport, RFC 3261 §18.2.2 routing), plus a Runtime started on ephemeral ports.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "duet/transport/handler.hpp"
#include "duet/transport/runtime.hpp"

namespace duet::test {

struct Received {
  transport::Source src;
  std::string raw;
  bool request = false;
  std::uint16_t worker = 0;  // Worker::index() of the worker that called on_message
  std::thread::id thread;
};

class RecordingHandler : public transport::Handler {
 public:
  void on_message(transport::Worker& w, const transport::Source& src, const sip::Message& msg) override;
  void on_worker_start(transport::Worker& w) override;
  void on_worker_stop(transport::Worker& w) override;
  void on_connection_failed(transport::Worker& w, const transport::Source& conn) override;

  // Waits until at least n messages were received; returns how many there are.
  std::size_t wait_for(std::size_t n, std::chrono::milliseconds limit = std::chrono::seconds(3));
  std::vector<Received> received();
  // Waits until at least n connections we opened failed; returns how many did.
  std::size_t wait_for_failures(std::size_t n, std::chrono::milliseconds limit = std::chrono::seconds(3));
  std::vector<transport::Source> failures();

  std::atomic<bool> answer{true};  // reply 200 to requests
  std::atomic<int> starts{0}, stops{0};
  std::vector<std::thread::id> worker_threads;  // by index, filled by on_worker_start
  std::vector<int> worker_policies;             // by index: sched_getscheduler() in on_worker_start

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Received> got_;
  std::vector<transport::Source> failed_;
};

struct TestServer {
  explicit TestServer(transport::TransportConfig cfg);
  ~TestServer();
  // Bound address of the first listener of this protocol (and family).
  sockaddr_storage addr(transport::Proto p, int family = AF_INET) const;

  RecordingHandler handler;
  std::unique_ptr<transport::Runtime> rt;
};

// Listeners on 127.0.0.1 and ::1 with ephemeral ports for the given protocols.
transport::TransportConfig loopback_config(std::initializer_list<transport::Proto> protos,
                                           unsigned workers = 1);

// cfg with a message read timeout of ms and an idle timeout far beyond it, so that a closed
// connection can only be the read timeout's doing.
inline transport::TransportConfig with_read_timeout(transport::TransportConfig cfg, std::uint32_t ms) {
  cfg.idle_timeout_ms = 60'000;
  cfg.message_read_timeout_ms = ms;
  return cfg;
}

}  // namespace duet::test
