#include "duet/control/control_loop.hpp"

#include <pthread.h>

#include <stdexcept>

namespace duet::control {

ControlLoop::ControlLoop() {
  if (uv_loop_init(&loop_) != 0) throw std::runtime_error("control loop: uv_loop_init failed");
  uv_async_init(&loop_, &async_, &ControlLoop::on_async);
  async_.data = this;
}

ControlLoop::~ControlLoop() {
  stop();
  // Never started (or already stopped): close what is left; queued functions are dropped unrun.
  stopping_.store(true, std::memory_order_release);
  uv_walk(
      &loop_,
      [](uv_handle_t* h, void*) {
        if (!uv_is_closing(h)) uv_close(h, nullptr);
      },
      nullptr);
  uv_run(&loop_, UV_RUN_DEFAULT);
  uv_loop_close(&loop_);
  Node* n = head_.exchange(nullptr);
  while (n) {
    Node* next = n->next;
    delete n;
    n = next;
  }
}

void ControlLoop::start() {
  if (running_.exchange(true)) return;
  thread_ = std::thread([this] { run_thread(); });
}

void ControlLoop::run_thread() {
  pthread_setname_np(pthread_self(), "duet-control");  // for top -H, perf and /proc
  uv_run(&loop_, UV_RUN_DEFAULT);
}

void ControlLoop::stop() {
  if (!running_.load(std::memory_order_acquire)) return;
  if (stopping_.exchange(true)) return;
  post([this] {
    for (auto& h : stop_hooks_) h();
    drain();
    uv_walk(
        &loop_,
        [](uv_handle_t* h, void*) {
          if (!uv_is_closing(h)) uv_close(h, nullptr);
        },
        nullptr);
  });
  // The post above went through even though stopping_ is set (see post()).
  if (thread_.joinable()) thread_.join();
  running_.store(false, std::memory_order_release);
}

void ControlLoop::post(std::function<void()> fn) {
  auto* n = new Node{nullptr, std::move(fn)};
  Node* old = head_.load(std::memory_order_relaxed);
  do {
    n->next = old;
  } while (!head_.compare_exchange_weak(old, n, std::memory_order_release, std::memory_order_relaxed));
  if (running_.load(std::memory_order_acquire)) uv_async_send(&async_);
}

void ControlLoop::on_stop(std::function<void()> fn) {
  stop_hooks_.push_back(std::move(fn));
}

void ControlLoop::on_async(uv_async_t* a) {
  static_cast<ControlLoop*>(a->data)->drain();
}

void ControlLoop::drain() noexcept {
  for (;;) {
    Node* list = head_.exchange(nullptr, std::memory_order_acquire);
    if (!list) return;
    Node* reversed = nullptr;
    while (list) {
      Node* next = list->next;
      list->next = reversed;
      reversed = list;
      list = next;
    }
    while (reversed) {
      Node* next = reversed->next;
      reversed->fn();
      delete reversed;
      reversed = next;
    }
  }
}

}  // namespace duet::control
