// A worker's inbox: lock-free multi-producer single-consumer, intrusive. Producers push onto a
// Treiber stack; the consumer takes the whole stack with one exchange and reverses it to restore
// posting order.
//
// Wake-ups go through an eventfd of our own, written only by the push that finds the stack empty:
// a burst of posts costs one write, and nothing ever waits for a producer. A worker posting from
// inside a batch of its own (a recvmmsg batch, a drain) defers that write to the batch's end, so
// the consumer wakes once per batch instead of once per task (see Worker::post). (uv_async_t was used
// before: its consumer spins, then sched_yield()s, until every concurrent uv_async_send() has
// returned, which under load on two cores cost more than the tasks themselves.)
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
  Mailbox() = default;
  ~Mailbox();  // closes the eventfd (the loop has closed its handle by then)
  Mailbox(const Mailbox&) = delete;
  Mailbox& operator=(const Mailbox&) = delete;

  // in_flight counts tasks pushed and not yet run (shared by the runtime's mailboxes).
  // Throws std::system_error if the eventfd cannot be made.
  void init(uv_loop_t* loop, Worker* owner, std::atomic<std::int64_t>* in_flight);
  // Any thread. After close() the task is kept, not signalled; drain_all() runs it at teardown.
  void push(Task* t) noexcept {
    if (push_quietly(t)) wake();
  }
  // As push(), but returns true instead of waking when the consumer needs a wake-up: the caller
  // must then call wake() (soon: the consumer sleeps until it does).
  bool push_quietly(Task* t) noexcept;
  void wake() noexcept;
  // Owner thread: runs every task queued so far. Returns how many ran.
  std::size_t drain() noexcept;
  // Owner thread: stops waking the loop and closes its handle.
  void close() noexcept;
  bool closed() const noexcept { return closed_.load(std::memory_order_acquire); }

 private:
  static void on_readable(uv_poll_t* p, int status, int events);
  std::atomic<Task*> head_{nullptr};
  std::atomic<bool> closed_{false};
  int efd_ = -1;
  uv_poll_t poll_{};
  bool polling_ = false;
  Worker* owner_ = nullptr;
  std::atomic<std::int64_t>* in_flight_ = nullptr;
};

}  // namespace duet::transport
