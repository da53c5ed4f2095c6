#include "mailbox.hpp"

#include "duet/transport/worker.hpp"
#include "worker_state.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace duet::transport {

Mailbox::~Mailbox() {
  if (efd_ >= 0) ::close(efd_);
}

void Mailbox::init(uv_loop_t* loop, Worker* owner, std::atomic<std::int64_t>* in_flight) {
  owner_ = owner;
  in_flight_ = in_flight;
  efd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (efd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd for a worker's mailbox");
  uv_poll_init(loop, &poll_, efd_);
  poll_.data = this;
  uv_poll_start(&poll_, UV_READABLE, &Mailbox::on_readable);
  polling_ = true;
}

bool Mailbox::push_quietly(Task* t) noexcept {
  in_flight_->fetch_add(1, std::memory_order_relaxed);
  Task* old = head_.load(std::memory_order_relaxed);
  do {
    t->next = old;
  } while (!head_.compare_exchange_weak(old, t, std::memory_order_release, std::memory_order_relaxed));
  // Only the push onto an empty stack wakes the consumer: the ones after it find a wake-up
  // already on its way (the consumer empties the stack only by taking it whole, after a wake).
  return old == nullptr && !closed_.load(std::memory_order_acquire);
}

void Mailbox::wake() noexcept {
  const std::uint64_t one = 1;
  ssize_t r;
  do {
    r = ::write(efd_, &one, sizeof one);
  } while (r < 0 && errno == EINTR);
  // EAGAIN: the counter is saturated, so the consumer is certainly woken already.
}

std::size_t Mailbox::drain() noexcept {
  std::size_t ran = 0;
  // Tasks may post to this mailbox again; loop until it is empty so none waits for another wake-up.
  for (;;) {
    Task* list = head_.exchange(nullptr, std::memory_order_acquire);
    if (!list) return ran;
    Task* reversed = nullptr;
    while (list) {
      Task* next = list->next;
      list->next = reversed;
      reversed = list;
      list = next;
    }
    while (reversed) {
      Task* next = reversed->next;
      reversed->next = nullptr;
      reversed->run(*owner_, reversed);
      in_flight_->fetch_sub(1, std::memory_order_release);
      reversed = next;
      ++ran;
    }
  }
}

void Mailbox::close() noexcept {
  closed_.store(true, std::memory_order_release);
  if (polling_ && !uv_is_closing(reinterpret_cast<uv_handle_t*>(&poll_))) {
    uv_poll_stop(&poll_);
    uv_close(reinterpret_cast<uv_handle_t*>(&poll_), nullptr);
  }
  polling_ = false;
}

void Mailbox::on_readable(uv_poll_t* p, int status, int) {
  auto* m = static_cast<Mailbox*>(p->data);
  if (status == 0) {
    std::uint64_t v;
    while (::read(m->efd_, &v, sizeof v) < 0 && errno == EINTR) {
    }
  }
  // Replies of the tasks leave in one sendmmsg per socket, and the tasks' own posts wake their
  // targets once, after the drain.
  Worker::Batch batch(*m->owner_);
  m->drain();
}

}  // namespace duet::transport
