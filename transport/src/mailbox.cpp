#include "mailbox.hpp"

namespace duet::transport {

void Mailbox::init(uv_loop_t* loop, Worker* owner, std::atomic<std::int64_t>* in_flight) {
  owner_ = owner;
  in_flight_ = in_flight;
  uv_async_init(loop, &async_, &Mailbox::on_async);
  async_.data = this;
}

void Mailbox::push(Task* t) noexcept {
  in_flight_->fetch_add(1, std::memory_order_relaxed);
  Task* old = head_.load(std::memory_order_relaxed);
  do {
    t->next = old;
  } while (!head_.compare_exchange_weak(old, t, std::memory_order_release, std::memory_order_relaxed));
  if (!closed_.load(std::memory_order_acquire)) uv_async_send(&async_);
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
  if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&async_))) {
    uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
  }
}

void Mailbox::on_async(uv_async_t* a) {
  static_cast<Mailbox*>(a->data)->drain();
}

}  // namespace duet::transport
