#include "duet/transport/worker.hpp"

#include <spdlog/spdlog.h>

#include <random>
#include <string>

#include "duet/transport/address.hpp"
#include "duet/transport/runtime.hpp"
#include "runtime_shared.hpp"
#include "worker_state.hpp"

namespace duet::transport {

namespace {

// Bytes for a connection owned by another worker.
struct SendTask : Task {
  std::uint64_t conn_id = 0;
  std::string bytes;
};

void run_send_task(Worker& w, Task* t) {
  auto* s = static_cast<SendTask*>(t);
  auto& st = w.state();
  auto it = st.conns.find(s->conn_id);
  if (st.stopped || it == st.conns.end() || !it->second->write(s->bytes)) st.stats.send_failed.add();
  delete s;
}

}  // namespace

WorkerState::WorkerState(Worker& w) : tag_rng(std::random_device{}()) {
  uv_loop_init(&loop);
  loop.data = &w;
  mailbox.init(&loop, &w, &w.runtime().shared().in_flight);
  uv_timer_init(&loop, &sweep);
  sweep.data = &w;
  tls_scratch.resize(64 * 1024);
}

WorkerState::~WorkerState() = default;

Worker::Worker(Runtime& rt, std::uint16_t index) : rt_(rt), index_(index) {
  state_ = std::make_unique<WorkerState>(*this);
}

Worker::~Worker() {
  auto& st = *state_;
  st.stopped = true;
  // Tasks posted after the mailbox closed: run them now so they free themselves (send() fails).
  st.mailbox.drain();
  // A worker that never ran (start() failed half-way) still has open handles.
  uv_walk(
      &st.loop,
      [](uv_handle_t* h, void*) {
        if (!uv_is_closing(h)) uv_close(h, nullptr);
      },
      nullptr);
  uv_run(&st.loop, UV_RUN_DEFAULT);
  uv_loop_close(&st.loop);
}

std::uint16_t Worker::worker_count() const noexcept {
  return static_cast<std::uint16_t>(rt_.workers());
}
uv_loop_t* Worker::loop() noexcept {
  return &state_->loop;
}
std::uint64_t Worker::now_ms() const noexcept {
  return uv_now(&state_->loop);
}
const Stats& Worker::stats() const noexcept {
  return state_->stats;
}

bool Worker::own_udp_address(const sockaddr_storage& listener, sockaddr_storage& out) const noexcept {
  for (const auto& [l, own] : state_->own_udp) {
    if (sockaddr_equal(l, listener)) {
      out = own;
      return true;
    }
  }
  return false;
}

thread_local WorkerState* t_running_worker = nullptr;

void Worker::begin_batch() noexcept {
  auto& st = *state_;
  if (st.batch_depth++ > 0) return;
  // Every socket, not only the one read: a proxy forwards from this worker's own port.
  for (auto& u : st.udp) u->hold();
}

void Worker::end_batch() noexcept {
  auto& st = *state_;
  if (--st.batch_depth > 0) return;
  for (auto& u : st.udp) u->release();
  for (const std::uint16_t target : st.deferred_wakes) rt_.worker(target).state().mailbox.wake();
  st.deferred_wakes.clear();
}

// A task posted from inside one of this worker's batches wakes its target when the batch ends, not
// now: the target, faster than the batch that feeds it, would otherwise drain each task alone and
// pay a wake-up (eventfd write, epoll, context switch) per task. The delay is bounded by the batch.
void Worker::post(std::uint16_t target_worker, Task* t) {
  auto& target = rt_.worker(target_worker).state().mailbox;
  auto& st = *state_;
  if (t_running_worker != &st || st.batch_depth == 0) {
    target.push(t);
    return;
  }
  if (target.push_quietly(t)) st.deferred_wakes.push_back(target_worker);
}

std::uint64_t Worker::connect(const Source& dst, const std::string& tls_name, bool reserved) {
  auto& st = *state_;
  if (dst.proto == Proto::udp) return 0;
  const std::string key = StreamConn::dial_key(dst.proto, dst.peer, tls_name);
  if (const auto it = st.dialled.find(key); it != st.dialled.end()) {
    const auto c = st.conns.find(it->second);
    if (c != st.conns.end() && !c->second->closing()) return it->second;
  }
  StreamConn* c = StreamConn::dial(*this, dst.proto, dst.local, dst.peer, tls_name, reserved);
  return c ? c->source().conn_id : 0;
}

bool Worker::send(const Source& dst, std::string_view bytes) {
  const sip::Slice s{bytes.data(), bytes.size()};
  return sendv(dst, &s, 1);
}

bool Worker::sendv(const Source& dst, const sip::Slice* slices, std::size_t n) {
  auto& st = *state_;
  if (st.stopped) return false;
  if (dst.proto == Proto::udp) {
    // The socket bound to the address the request came to; with a wildcard bind, the one of the
    // same family and port.
    UdpEndpoint* ep = nullptr;
    for (auto& u : st.udp) {
      if (sockaddr_equal(u->local(), dst.local)) {
        ep = u.get();
        break;
      }
      if (!ep && u->local().ss_family == dst.local.ss_family &&
          sockaddr_port(u->local()) == sockaddr_port(dst.local)) {
        ep = u.get();
      }
    }
    if (!ep) {
      for (auto& u : st.udp) {
        if (u->local().ss_family == dst.peer.ss_family) {
          ep = u.get();
          break;
        }
      }
    }
    constexpr std::size_t kMaxBufs = 64;
    if (!ep || n > kMaxBufs) {
      st.stats.send_failed.add();
      return false;
    }
    uv_buf_t bufs[kMaxBufs];
    for (std::size_t i = 0; i < n; ++i) {
      bufs[i] = uv_buf_init(const_cast<char*>(slices[i].data), static_cast<unsigned>(slices[i].size));
    }
    if (!ep->send(dst.peer, bufs, static_cast<unsigned>(n))) {
      st.stats.send_failed.add();
      return false;
    }
    return true;
  }
  if (dst.conn_id == 0) {
    Source dialled = dst;
    dialled.conn_id = connect(dst);
    dialled.worker = index_;
    if (dialled.conn_id == 0) {
      st.stats.send_failed.add();
      return false;
    }
    return sendv(dialled, slices, n);
  }
  if (dst.worker != index_) {
    if (dst.worker >= rt_.workers()) return false;
    auto* t = new SendTask;
    t->run = &run_send_task;
    t->conn_id = dst.conn_id;
    for (std::size_t i = 0; i < n; ++i) t->bytes.append(slices[i].data, slices[i].size);
    post(dst.worker, t);
    return true;
  }
  auto it = st.conns.find(dst.conn_id);
  if (it == st.conns.end() || !it->second->writev(slices, n)) {
    st.stats.send_failed.add();
    return false;
  }
  return true;
}

}  // namespace duet::transport
