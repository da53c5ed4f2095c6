// A worker's inbox: lock-free multi-producer single-consumer, intrusive, woken with uv_async_send
// (which coalesces, so a burst of posts costs one wake-up). Producers push onto a Treiber stack;
// the consumer takes the whole stack with one exchange and reverses it to restore posting order.
#pragma once

#include <uv.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "duet/transport/task.hpp"

namespace duet::transport {

class Worker;

class Mailbox {
 public:
  // in_flight counts tasks pushed and not yet run (shared by the runtime's mailboxes).
  void init(uv_loop_t* loop, Worker* owner, std::atomic<std::int64_t>* in_flight);
  // Any thread. After close() the task is kept, not signalled; drain_all() runs it at teardown.
  void push(Task* t) noexcept;
  // Owner thread: runs every task queued so far. Returns how many ran.
  std::size_t drain() noexcept;
  // Owner thread: stops waking the loop and closes the async handle.
  void close() noexcept;
  bool closed() const noexcept { return closed_.load(std::memory_order_acquire); }

 private:
  static void on_async(uv_async_t* a);
  std::atomic<Task*> head_{nullptr};
  std::atomic<bool> closed_{false};
  uv_async_t async_{};
  Worker* owner_ = nullptr;
  std::atomic<std::int64_t>* in_flight_ = nullptr;
};

}  // namespace duet::transport
