#include "support/handler.hpp"

#include <sched.h>

#include <stdexcept>

#include "duet/sip/writer.hpp"
#include "duet/transport/reply.hpp"
#include "duet/transport/worker.hpp"

namespace duet::test {

void RecordingHandler::on_message(transport::Worker& w, const transport::Source& src,
                                  const sip::Message& msg) {
  {
    std::lock_guard lock(mu_);
    got_.push_back({src, std::string(msg.raw()), msg.is_request(), w.index(), std::this_thread::get_id()});
  }
  cv_.notify_all();
  if (!answer || !msg.is_request() || msg.method_id() == sip::Method::ack) return;
  sip::Via via;
  if (!transport::top_via(msg, via)) return;
  char ip[transport::kIpStrLen];
  char buf[4096];
  sip::ResponseBuilder b(buf, sizeof buf);
  b.start(msg, 200, "OK", "srv1", transport::via_fix(via, src, ip));
  const auto bytes = b.finish();
  w.send(transport::response_target(src, via), bytes);
}

void RecordingHandler::on_worker_start(transport::Worker& w) {
  {
    std::lock_guard lock(mu_);
    if (worker_threads.size() <= w.index()) worker_threads.resize(w.index() + 1u);
    worker_threads[w.index()] = std::this_thread::get_id();
    if (worker_policies.size() <= w.index()) worker_policies.resize(w.index() + 1u);
    worker_policies[w.index()] = ::sched_getscheduler(0);
  }
  ++starts;
}

void RecordingHandler::on_worker_stop(transport::Worker&) {
  ++stops;
}

void RecordingHandler::on_connection_failed(transport::Worker&, const transport::Source& conn) {
  {
    std::lock_guard lock(mu_);
    failed_.push_back(conn);
  }
  cv_.notify_all();
}

std::size_t RecordingHandler::wait_for_failures(std::size_t n, std::chrono::milliseconds limit) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, limit, [&] { return failed_.size() >= n; });
  return failed_.size();
}

std::vector<transport::Source> RecordingHandler::failures() {
  std::lock_guard lock(mu_);
  return failed_;
}

std::size_t RecordingHandler::wait_for(std::size_t n, std::chrono::milliseconds limit) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, limit, [&] { return got_.size() >= n; });
  return got_.size();
}

std::vector<Received> RecordingHandler::received() {
  std::lock_guard lock(mu_);
  return got_;
}

TestServer::TestServer(transport::TransportConfig cfg) {
  rt = std::make_unique<transport::Runtime>(cfg, handler);
  rt->start();
}

TestServer::~TestServer() {
  rt->stop();
}

sockaddr_storage TestServer::addr(transport::Proto p, int family) const {
  for (const auto& b : rt->bound()) {
    if (b.proto == p && b.addr.ss_family == family) return b.addr;
  }
  throw std::logic_error("no such listener");
}

transport::TransportConfig loopback_config(std::initializer_list<transport::Proto> protos, unsigned workers) {
  transport::TransportConfig c;
  for (auto p : protos) {
    c.listeners.push_back({p, "127.0.0.1", 0});
    c.listeners.push_back({p, "::1", 0});
  }
  c.workers = workers;
  return c;
}

}  // namespace duet::test
