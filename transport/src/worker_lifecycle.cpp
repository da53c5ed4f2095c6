#include "worker_lifecycle.hpp"

#include <pthread.h>
#include <sched.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "duet/transport/address.hpp"
#include "duet/transport/runtime.hpp"
#include "duet/transport/worker.hpp"
#include "runtime_shared.hpp"
#include "worker_state.hpp"

namespace duet::transport {

namespace {

// Stream connections get this long to flush their last replies once the worker is closing.
constexpr std::uint64_t kLingerMs = 1000;
// A connection we open that is not up (TCP connected, TLS handshake done) this long is closed, and
// the requests waiting on it fail then (a 503 for the caller) rather than at Timer B, 32 s later.
constexpr std::uint64_t kConnectTimeoutMs = 10'000;

// On the calling thread only (Linux: pid 0 is the caller's thread). A refusal (a container that
// forbids it) leaves the thread as it was: the worker runs all the same.
void apply_scheduling(WorkerScheduling s, const std::string& name) {
  const int policy = s == WorkerScheduling::batch ? SCHED_BATCH : SCHED_OTHER;
  const sched_param param{};
  if (::sched_setscheduler(0, policy, &param) != 0)
    spdlog::warn("{}: could not set its scheduling policy ({}), left as it was", name, std::strerror(errno));
}

std::uint64_t sweep_interval_ms(const TransportConfig& c) {
  return std::clamp<std::uint64_t>(std::min(c.idle_timeout_ms, c.message_read_timeout_ms) / 4, 20, 1000);
}

void on_sweep(uv_timer_t* t) {
  auto& w = *static_cast<Worker*>(t->data);
  auto& st = w.state();
  const auto now = w.now_ms();
  const auto idle = w.runtime().config().idle_timeout_ms;
  const auto read_timeout = w.runtime().config().message_read_timeout_ms;
  std::vector<StreamConn*> expired;
  std::vector<StreamConn*> unconnected;
  std::vector<StreamConn*> slow;
  for (auto& [id, c] : st.conns) {
    if (c->closing()) continue;
    // From when it was dialled: a server that trickles handshake bytes must not keep it half open.
    if (c->connecting() && now - c->dialled_at_ms() >= std::min<std::uint64_t>(idle, kConnectTimeoutMs)) {
      unconnected.push_back(c);
    } else if (now - c->last_active_ms() >= idle) {
      expired.push_back(c);
    } else if (read_timeout != 0 && c->partial_since_ms() != 0 &&
               now - c->partial_since_ms() >= read_timeout) {
      slow.push_back(c);
    }
  }
  for (auto* c : slow) {
    st.stats.connections_read_timeout.add();
    spdlog::debug("{} {}: a message begun {} ms ago is still not whole: closed",
                  proto_name(c->source().proto), sockaddr_to_string(c->source().peer),
                  now - c->partial_since_ms());
    c->close_now();
  }
  for (auto* c : expired) {
    st.stats.connections_idle_closed.add();
    c->close_now();
  }
  for (auto* c : unconnected) {
    spdlog::warn("{} {}: not connected after {} ms, given up", proto_name(c->source().proto),
                 sockaddr_to_string(c->source().peer), now - c->dialled_at_ms());
    c->close_now();
  }
}

void on_linger_over(uv_timer_t* t) {
  auto& st = static_cast<Worker*>(t->data)->state();
  std::vector<StreamConn*> left;
  for (auto& [id, c] : st.conns) left.push_back(c);
  for (auto* c : left) c->close_now();
  uv_close(reinterpret_cast<uv_handle_t*>(t), nullptr);
}

void ack(Worker& w) {
  w.runtime().shared().acks.fetch_add(1, std::memory_order_acq_rel);
}

// Phase 1: read nothing more. Replies for what was already read still go out.
void quiesce(Worker& w, Task*) {
  auto& st = w.state();
  st.quiesced = true;
  for (auto& u : st.udp) u->stop_reading();
  for (auto& l : st.listeners) l->close();
  for (auto& [id, c] : st.conns) c->stop_reading();
  ack(w);
}

// Phase 2 (no task in flight anywhere): the handler stops, sockets close, connections flush.
void close_all(Worker& w, Task*) {
  auto& st = w.state();
  w.runtime().handler().on_worker_stop(w);
  for (auto& u : st.udp) u->close();
  std::vector<StreamConn*> open;
  for (auto& [id, c] : st.conns) open.push_back(c);
  for (auto* c : open) c->close_gracefully();
  uv_timer_stop(&st.sweep);
  st.closing = true;
  if (st.conns.empty()) {
    uv_close(reinterpret_cast<uv_handle_t*>(&st.sweep), nullptr);
  } else {
    uv_timer_start(&st.sweep, &on_linger_over, kLingerMs, 0);
  }
  ack(w);
}

// Phase 3: the mailbox closes; the loop ends once the last connection has closed.
void finish(Worker& w, Task*) {
  auto& st = w.state();
  st.stopped = true;
  st.mailbox.close();
  // Handles the handler left open (timers from on_worker_start) would keep the loop alive forever.
  uv_walk(
      &st.loop,
      [](uv_handle_t* h, void* arg) {
        auto* state = static_cast<WorkerState*>(arg);
        if (uv_is_closing(h) || h->type == UV_TCP || h->type == UV_UDP) return;
        if (h == reinterpret_cast<uv_handle_t*>(&state->sweep)) return;
        spdlog::warn("worker stop: closing a {} handle the handler left open", uv_handle_type_name(h->type));
        uv_close(h, nullptr);
      },
      &st);
  ack(w);
}

}  // namespace

void connection_closed(Worker& w) {
  auto& st = w.state();
  auto* sweep = reinterpret_cast<uv_handle_t*>(&st.sweep);
  if (st.closing && st.conns.empty() && !uv_is_closing(sweep)) {
    uv_timer_stop(&st.sweep);
    uv_close(sweep, nullptr);
  }
}

void init_stop_tasks(Worker& w) {
  auto& st = w.state();
  st.quiesce_task.run = &quiesce;
  st.close_task.run = &close_all;
  st.finish_task.run = &finish;
}

void run_worker(Worker& w) {
  auto& st = w.state();
  // "duet-w0", "duet-w1"...: top -H, perf and /proc/PID/task/*/comm tell the workers apart.
  const std::string name = "duet-w" + std::to_string(w.index());
  pthread_setname_np(pthread_self(), name.c_str());
  apply_scheduling(w.runtime().config().worker_scheduling, name);
  t_running_worker = &st;
  w.runtime().handler().on_worker_start(w);
  for (auto& u : st.udp) u->start();
  for (auto& l : st.listeners) l->start();
  const auto every = sweep_interval_ms(w.runtime().config());
  uv_timer_start(&st.sweep, &on_sweep, every, every);
  uv_run(&st.loop, UV_RUN_DEFAULT);
}

}  // namespace duet::transport
