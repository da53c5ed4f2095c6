#include "duet/registrar/timer_wheel.hpp"

namespace duet::registrar {

TimerWheel::TimerWheel(std::uint64_t now_ms, std::uint32_t tick_ms) noexcept
    : current_(0), tick_ms_(tick_ms == 0 ? 1 : tick_ms) {
  current_ = now_ms / tick_ms_;
  for (auto& level : slots_) {
    for (auto& head : level) head.prev = head.next = &head;
  }
}

void TimerWheel::link(TimerNode& head, TimerNode& n) noexcept {
  n.prev = head.prev;
  n.next = &head;
  head.prev->next = &n;
  head.prev = &n;
}

void TimerWheel::unlink(TimerNode& n) noexcept {
  n.prev->next = n.next;
  n.next->prev = n.prev;
  n.prev = n.next = nullptr;
}

void TimerWheel::file(TimerNode& n, std::uint64_t tick) noexcept {
  std::uint64_t delta = tick - current_;
  if (delta >= kSpanTicks) {
    delta = kSpanTicks - 1;
    tick = current_ + delta;  // placement only; the real due time is re-read when it comes up
  }
  unsigned level = 0;
  while (level + 1 < kLevels && delta >= (std::uint64_t{1} << (kBits * (level + 1)))) ++level;
  link(slots_[level][(tick >> (kBits * level)) & (kSlots - 1)], n);
}

void TimerWheel::schedule(TimerNode& n, std::uint64_t due_ms) noexcept {
  if (n.scheduled()) {
    unlink(n);
    --size_;
  }
  n.due_ms = due_ms;
  std::uint64_t t = tick_of(due_ms);
  if (t <= current_) t = current_ + 1;
  file(n, t);
  ++size_;
}

void TimerWheel::cancel(TimerNode& n) noexcept {
  if (!n.scheduled()) return;
  unlink(n);
  --size_;
}

// Called when the level-0 index wraps to 0: re-files the upper levels' slot for this period, so
// that nodes move down one level at a time as their deadline approaches.
void TimerWheel::cascade() noexcept {
  for (unsigned level = 1; level < kLevels; ++level) {
    const unsigned idx = static_cast<unsigned>((current_ >> (kBits * level)) & (kSlots - 1));
    TimerNode& head = slots_[level][idx];
    TimerNode pending;
    pending.prev = pending.next = &pending;
    if (head.next != &head) {  // move the whole list out, then re-file each node
      pending.next = head.next;
      pending.prev = head.prev;
      pending.next->prev = &pending;
      pending.prev->next = &pending;
      head.prev = head.next = &head;
    }
    while (pending.next != &pending) {
      TimerNode& n = *pending.next;
      unlink(n);
      std::uint64_t t = tick_of(n.due_ms);
      if (t < current_) t = current_;
      file(n, t);
    }
    if (idx != 0) break;
  }
}

}  // namespace duet::registrar
