// A hierarchical timer wheel (4 levels of 64 slots) over intrusive nodes, header-only.
//
// Same approach as src/registrar's wheel, copied rather than shared so the transaction layer does not
// depend on the registrar: schedule, cancel and expiry cost O(1) per node whatever the number of
// transactions, and nothing is allocated. Transactions need a finer tick than bindings (T1 = 500 ms,
// so 10 ms by default); with 64^4 ticks of 10 ms a wheel spans 46 hours, far beyond any SIP timer.
#pragma once

#include <cstddef>
#include <cstdint>

namespace duet::transaction {

// Embedded in the object that expires. A node is in at most one slot list at a time, so
// rescheduling a node replaces its earlier deadline: a node can never fire twice for one schedule.
struct TimerNode {
  TimerNode* prev = nullptr;
  TimerNode* next = nullptr;
  std::uint64_t due_ms = 0;
  bool scheduled() const noexcept { return next != nullptr; }
};

class TimerWheel {
 public:
  static constexpr unsigned kBits = 6;
  static constexpr unsigned kSlots = 1u << kBits;
  static constexpr unsigned kLevels = 4;
  static constexpr std::uint64_t kSpanTicks = std::uint64_t{1} << (kBits * kLevels);

  // A node fires at the first advance() whose now_ms reaches its due time rounded up to a tick:
  // never early, at most one tick late. A due time not after the current tick fires at the next tick,
  // so a node scheduled from inside on_fire never fires in the same advance() call.
  explicit TimerWheel(std::uint64_t now_ms, std::uint32_t tick_ms = 10) noexcept
      : tick_ms_(tick_ms == 0 ? 1 : tick_ms) {
    current_ = now_ms / tick_ms_;
    for (auto& level : slots_) {
      for (auto& head : level) head.prev = head.next = &head;
    }
  }
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;

  void schedule(TimerNode& n, std::uint64_t due_ms) noexcept {
    if (n.scheduled()) {
      unlink(n);
      --size_;
    }
    n.due_ms = due_ms;
    std::uint64_t t = tick_of(due_ms);
    if (t <= current_) t = current_ + 1;
    if (t < earliest_scheduled_) earliest_scheduled_ = t;
    file(n, t);
    ++size_;
  }

  // When advance() should run next, so that an owner sleeps until then instead of waking every
  // tick: the first non-empty level-0 tick before level 0 next wraps, else the wrap itself (the
  // upper levels' nodes for the next 64 ticks come down then, so it is a lower bound). kNever if
  // nothing is scheduled. Scans at most the 64 level-0 slots.
  static constexpr std::uint64_t kNever = ~std::uint64_t{0};
  std::uint64_t next_advance_ms() const noexcept {
    if (size_ == 0) return kNever;
    const std::uint64_t wrap = (current_ | (kSlots - 1)) + 1;
    for (std::uint64_t t = current_ + 1; t < wrap; ++t) {
      const TimerNode& head = slots_[0][t & (kSlots - 1)];
      if (head.next != &head) return t * tick_ms_;
    }
    return wrap * tick_ms_;
  }
  // The earliest tick time any schedule() asked for since the last reset: an owner whose wake-up
  // is set for later than this must set it again.
  std::uint64_t earliest_scheduled_ms() const noexcept {
    return earliest_scheduled_ == kNever ? kNever : earliest_scheduled_ * tick_ms_;
  }
  void reset_earliest_scheduled() noexcept { earliest_scheduled_ = kNever; }

  void cancel(TimerNode& n) noexcept {
    if (!n.scheduled()) return;
    unlink(n);
    --size_;
  }

  // Fires every node due by now_ms, at most budget of them; on_fire(TimerNode&) gets the node
  // already unlinked and may free it, reschedule it or cancel other nodes.
  template <class F>
  std::size_t advance(std::uint64_t now_ms, F&& on_fire, std::size_t budget = static_cast<std::size_t>(-1)) {
    const std::uint64_t target = now_ms / tick_ms_;
    std::size_t fired = 0;
    backlog_ = false;
    if (!fire_current(on_fire, fired, budget)) {
      backlog_ = true;
      return fired;
    }
    while (current_ < target) {
      if (size_ == 0) {
        current_ = target;
        break;
      }
      ++current_;
      if ((current_ & (kSlots - 1)) == 0) cascade();
      if (!fire_current(on_fire, fired, budget)) {
        backlog_ = true;
        return fired;
      }
    }
    return fired;
  }

  bool backlog() const noexcept { return backlog_; }
  std::size_t size() const noexcept { return size_; }
  std::uint32_t tick_ms() const noexcept { return tick_ms_; }

 private:
  std::uint64_t tick_of(std::uint64_t due_ms) const noexcept { return (due_ms + tick_ms_ - 1) / tick_ms_; }

  static void link(TimerNode& head, TimerNode& n) noexcept {
    n.prev = head.prev;
    n.next = &head;
    head.prev->next = &n;
    head.prev = &n;
  }
  static void unlink(TimerNode& n) noexcept {
    n.prev->next = n.next;
    n.next->prev = n.prev;
    n.prev = n.next = nullptr;
  }

  void file(TimerNode& n, std::uint64_t tick) noexcept {
    std::uint64_t delta = tick - current_;
    if (delta >= kSpanTicks) {  // parked in the last level; the real due time is re-read later
      delta = kSpanTicks - 1;
      tick = current_ + delta;
    }
    unsigned level = 0;
    while (level + 1 < kLevels && delta >= (std::uint64_t{1} << (kBits * (level + 1)))) ++level;
    link(slots_[level][(tick >> (kBits * level)) & (kSlots - 1)], n);
  }

  // When level 0 wraps, the upper levels' slot for this period moves down one level.
  void cascade() noexcept {
    for (unsigned level = 1; level < kLevels; ++level) {
      const unsigned idx = static_cast<unsigned>((current_ >> (kBits * level)) & (kSlots - 1));
      TimerNode& head = slots_[level][idx];
      TimerNode pending;
      pending.prev = pending.next = &pending;
      if (head.next != &head) {
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

  template <class F>
  bool fire_current(F& on_fire, std::size_t& fired, std::size_t budget) {
    TimerNode& head = slots_[0][current_ & (kSlots - 1)];
    while (head.next != &head) {
      if (fired == budget) return false;
      TimerNode& n = *head.next;
      unlink(n);
      --size_;
      const std::uint64_t t = tick_of(n.due_ms);
      if (t > current_) {  // parked beyond the span: file again
        file(n, t);
        ++size_;
        continue;
      }
      ++fired;
      on_fire(n);
    }
    return true;
  }

  TimerNode slots_[kLevels][kSlots];
  std::uint64_t current_ = 0;
  std::uint32_t tick_ms_;
  std::size_t size_ = 0;
  std::uint64_t earliest_scheduled_ = kNever;  // in ticks
  bool backlog_ = false;
};

}  // namespace duet::transaction
