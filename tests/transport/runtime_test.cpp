// Workers: cross-worker post(), replies sent by a worker that does not own the flow, clean stop.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "duet/sip/writer.hpp"
#include "duet/transport/address.hpp"
#include "duet/transport/reply.hpp"
#include "duet/transport/worker.hpp"
#include "support/clients.hpp"
#include "support/handler.hpp"
#include "support/messages.hpp"

namespace duet::test {
namespace {

using transport::Proto;
using transport::Task;
using transport::Worker;

struct HopTask : Task {
  std::atomic<int>* hops_left;
  std::atomic<int>* wrong_thread;
  std::vector<std::thread::id>* threads;
  std::uint16_t expected;
};

void run_hop(Worker& w, Task* t) {
  auto* h = static_cast<HopTask*>(t);
  if (w.index() != h->expected || std::this_thread::get_id() != (*h->threads)[w.index()]) ++*h->wrong_thread;
  if (--*h->hops_left > 0) {
    h->expected = static_cast<std::uint16_t>((w.index() + 1) % w.worker_count());
    w.post(h->expected, h);  // the same task hops on
    return;
  }
  delete h;
}

TEST(Runtime, PostRunsOnTheTargetWorkersThread) {
  TestServer s(loopback_config({Proto::udp}, 2));
  // Wait until both workers ran on_worker_start (their thread ids are recorded there).
  for (int i = 0; i < 200 && s.handler.starts < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(s.handler.starts, 2);
  std::atomic<int> hops{1000}, wrong{0};
  auto* t = new HopTask;
  t->run = &run_hop;
  t->hops_left = &hops;
  t->wrong_thread = &wrong;
  t->threads = &s.handler.worker_threads;
  t->expected = 1;
  s.rt->worker(0).post(1, t);  // from a thread that is no worker at all
  for (int i = 0; i < 400 && hops > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(hops, 0);
  EXPECT_EQ(wrong, 0);
}

// Answers every request from the other worker, as the registrar does for an AOR it does not own.
class HandOverHandler : public RecordingHandler {
 public:
  struct Job : Task {
    transport::Source src;
    std::string raw;
  };
  HandOverHandler() { answer = false; }
  static void reply_task(Worker& w, Task* t) {
    auto* j = static_cast<Job*>(t);
    sip::Message m;
    sip::parse(j->raw, m,
               {.mode = j->src.proto == Proto::udp ? sip::Framing::datagram : sip::Framing::stream});
    sip::Via via;
    transport::top_via(m, via);
    char ip[transport::kIpStrLen], buf[2048];
    sip::ResponseBuilder b(buf, sizeof buf);
    b.start(m, 200, "OK", "w" + std::to_string(w.index()), transport::via_fix(via, j->src, ip));
    w.send(transport::response_target(j->src, via), b.finish());
    delete j;
  }
  void on_message(Worker& w, const transport::Source& src, const sip::Message& msg) override {
    RecordingHandler::on_message(w, src, msg);
    auto* j = new Job;
    j->run = &HandOverHandler::reply_task;
    j->src = src;
    j->raw = std::string(msg.raw());
    w.post(static_cast<std::uint16_t>((w.index() + 1) % w.worker_count()), j);
  }
};

TEST(Runtime, RepliesFromTheWorkerThatDoesNotOwnTheFlow) {
  HandOverHandler h;
  transport::Runtime rt(loopback_config({Proto::udp, Proto::tcp}, 2), h);
  rt.start();
  sockaddr_storage udp{}, tcp{};
  for (const auto& b : rt.bound()) {
    if (b.addr.ss_family != AF_INET) continue;
    (b.proto == Proto::udp ? udp : tcp) = b.addr;
  }
  UdpClient u;
  u.send_to(udp, request({}));
  const auto ur = u.recv();
  ASSERT_TRUE(ur);
  EXPECT_EQ(status_of(*ur), 200);
  // From the address the phone sent to, although another worker's socket sent it.
  EXPECT_TRUE(transport::sockaddr_equal(u.last_from(), udp));
  // TCP: several connections so that both workers own some (SO_REUSEPORT spreads them).
  for (int i = 0; i < 8; ++i) {
    StreamClient c(tcp);
    RequestSpec spec;
    spec.transport = "TCP";
    ASSERT_TRUE(c.send(request(spec)));
    const auto r = c.read_message();
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(status_of(*r), 200);
  }
  rt.stop();
}

TEST(Runtime, StartAndStopCallTheHooksOncePerWorker) {
  RecordingHandler h;
  transport::Runtime rt(loopback_config({Proto::udp, Proto::tcp}, 3), h);
  rt.start();
  EXPECT_TRUE(rt.running());
  EXPECT_EQ(rt.workers(), 3u);
  rt.stop();
  rt.stop();  // idempotent
  EXPECT_FALSE(rt.running());
  EXPECT_EQ(h.starts, 3);
  EXPECT_EQ(h.stops, 3);
}

TEST(Runtime, WorkersRunWithTheConfiguredSchedulingPolicy) {
  for (const auto& [setting, policy] : {std::pair{transport::WorkerScheduling::batch, SCHED_BATCH},
                                        std::pair{transport::WorkerScheduling::normal, SCHED_OTHER}}) {
    RecordingHandler h;
    auto cfg = loopback_config({Proto::udp}, 2);
    cfg.worker_scheduling = setting;
    transport::Runtime rt(cfg, h);
    rt.start();
    for (int i = 0; i < 200 && h.starts < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    rt.stop();
    ASSERT_EQ(h.worker_policies.size(), 2u);
    EXPECT_EQ(h.worker_policies[0], policy);
    EXPECT_EQ(h.worker_policies[1], policy);
  }
  // The default is batch, and the thread that started the runtime keeps its own policy.
  EXPECT_EQ(transport::TransportConfig{}.worker_scheduling, transport::WorkerScheduling::batch);
  EXPECT_EQ(::sched_getscheduler(0), SCHED_OTHER);
}

TEST(Runtime, StopClosesConnectionsAndFinishesHandedOverWork) {
  HandOverHandler h;
  transport::Runtime rt(loopback_config({Proto::udp, Proto::tcp}, 2), h);
  rt.start();
  sockaddr_storage udp{}, tcp{};
  for (const auto& b : rt.bound()) {
    if (b.addr.ss_family != AF_INET) continue;
    (b.proto == Proto::udp ? udp : tcp) = b.addr;
  }
  StreamClient idle(tcp);
  ASSERT_TRUE(idle.connected());
  UdpClient u;
  u.send_to(udp, request({}));
  ASSERT_EQ(h.wait_for(1), 1u);  // handed over, perhaps not yet answered
  const auto t0 = std::chrono::steady_clock::now();
  rt.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
  const auto r = u.recv(500);
  ASSERT_TRUE(r);  // the hand-over ran before the sockets closed
  EXPECT_EQ(status_of(*r), 200);
  EXPECT_TRUE(idle.closed_by_peer(1000));
  // The ports are free again.
  transport::Runtime again(rt.config(), h);
  EXPECT_NO_THROW(again.start());
  again.stop();
}

TEST(Runtime, BindFailureNamesTheAddress) {
  // A socket without SO_REUSEPORT holds the port, so the runtime cannot join it.
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_storage a{};
  transport::make_sockaddr("127.0.0.1", 0, a);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), transport::sockaddr_len(a)), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  transport::TransportConfig cfg;
  cfg.listeners.push_back({Proto::udp, "127.0.0.1", transport::sockaddr_port(a)});
  cfg.workers = 2;
  RecordingHandler h;
  transport::Runtime rt(cfg, h);
  try {
    rt.start();
    FAIL() << "bound a port that is taken";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(transport::sockaddr_to_string(a)), std::string::npos) << e.what();
  }
  ::close(fd);
}

}  // namespace
}  // namespace duet::test
