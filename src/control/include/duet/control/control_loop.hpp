// The control loop: one thread with its own libuv loop that hosts what is not on the SIP path
// (peer replication, the HTTP API, agent configuration). Workers never wait for it: they hand it
// work through post() (lock-free) or through their own bounded rings (src/replication).
#pragma once

#include <uv.h>

#include <atomic>
#include <functional>
#include <thread>
#include <vector>

namespace duet::control {

class ControlLoop {
 public:
  ControlLoop();
  ~ControlLoop();  // stops if still running
  ControlLoop(const ControlLoop&) = delete;
  ControlLoop& operator=(const ControlLoop&) = delete;

  // Starts the thread. Handles may be created on loop() before start() (from the starting thread).
  void start();
  // Runs the stop hooks on the loop, closes every handle, joins. Idempotent; never from the loop itself.
  void stop();
  bool running() const noexcept { return running_.load(std::memory_order_acquire); }

  uv_loop_t* loop() noexcept { return &loop_; }
  // True on the control thread.
  bool on_loop_thread() const noexcept { return std::this_thread::get_id() == thread_.get_id(); }

  // Runs fn on the control thread soon, in posting order per poster. Any thread; never blocks.
  // Functions posted after stop() are dropped (destroyed on the calling or the stopping thread).
  void post(std::function<void()> fn);

  // Called on the loop when stop() begins, in registration order, before handles are closed:
  // owners close their own handles there. Register before start() or on the loop.
  void on_stop(std::function<void()> fn);

 private:
  struct Node {
    Node* next;
    std::function<void()> fn;
  };
  static void on_async(uv_async_t* a);
  void drain() noexcept;
  void run_thread();

  uv_loop_t loop_{};
  uv_async_t async_{};
  std::atomic<Node*> head_{nullptr};
  std::atomic<bool> running_{false};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::vector<std::function<void()>> stop_hooks_;
};

}  // namespace duet::control
