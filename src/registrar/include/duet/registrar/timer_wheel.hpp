// A hierarchical timer wheel (4 levels of 64 slots, as in the classic Linux kernel timers) over
// intrusive nodes: schedule, cancel and expiry cost O(1) per node whatever the number of timers,
// and nothing is allocated. Time is passed in explicitly (now_ms), so tests are deterministic.
#pragma once

#include <cstddef>
#include <cstdint>

namespace duet::registrar {

// Embedded in the object that expires. A node is in at most one slot list at a time.
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
  // Ticks one wheel can address; later deadlines are parked in the last level and re-filed.
  static constexpr std::uint64_t kSpanTicks = std::uint64_t{1} << (kBits * kLevels);

  // tick_ms is the resolution: a node fires at the first advance() whose now_ms reaches its due
  // time rounded up to a tick, i.e. never early and at most one tick late.
  explicit TimerWheel(std::uint64_t now_ms, std::uint32_t tick_ms = 1000) noexcept;
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;

  // (Re)schedules n to fire at due_ms. A due time already past fires at the next tick.
  void schedule(TimerNode& n, std::uint64_t due_ms) noexcept;
  void cancel(TimerNode& n) noexcept;

  // Fires every node due by now_ms: on_fire(TimerNode&) is called with the node already unlinked;
  // it may free the node, reschedule it, or cancel other nodes. Returns the number fired. At most
  // budget nodes fire per call (so one loop iteration stays short when a million bindings expire
  // together); the rest fire on the next calls, first thing.
  template <class F>
  std::size_t advance(std::uint64_t now_ms, F&& on_fire, std::size_t budget = static_cast<std::size_t>(-1));
  // True if the last advance() stopped on its budget with due nodes left.
  bool backlog() const noexcept { return backlog_; }

  std::size_t size() const noexcept { return size_; }
  std::uint32_t tick_ms() const noexcept { return tick_ms_; }

 private:
  std::uint64_t tick_of(std::uint64_t due_ms) const noexcept { return (due_ms + tick_ms_ - 1) / tick_ms_; }
  void file(TimerNode& n, std::uint64_t tick) noexcept;  // tick >= current_
  static void link(TimerNode& head, TimerNode& n) noexcept;
  static void unlink(TimerNode& n) noexcept;
  void cascade() noexcept;
  // Fires the due nodes of the current level-0 slot; false if the budget ran out first.
  template <class F>
  bool fire_current(F& on_fire, std::size_t& fired, std::size_t budget);

  TimerNode slots_[kLevels][kSlots];
  std::uint64_t current_;  // last tick processed
  std::uint32_t tick_ms_;
  std::size_t size_ = 0;
  bool backlog_ = false;
};

template <class F>
bool TimerWheel::fire_current(F& on_fire, std::size_t& fired, std::size_t budget) {
  TimerNode& head = slots_[0][current_ & (kSlots - 1)];
  while (head.next != &head) {
    if (fired == budget) return false;
    TimerNode& n = *head.next;
    unlink(n);
    --size_;
    const std::uint64_t t = tick_of(n.due_ms);
    if (t > current_) {  // parked beyond the wheel's span: file again
      file(n, t);
      ++size_;
      continue;
    }
    ++fired;
    on_fire(n);
  }
  return true;
}

template <class F>
std::size_t TimerWheel::advance(std::uint64_t now_ms, F&& on_fire, std::size_t budget) {
  const std::uint64_t target = now_ms / tick_ms_;
  std::size_t fired = 0;
  backlog_ = false;
  // A previous call may have stopped inside the current slot: only due nodes can be left there.
  if (!fire_current(on_fire, fired, budget)) {
    backlog_ = true;
    return fired;
  }
  while (current_ < target) {
    if (size_ == 0) {  // nothing to do for the ticks in between
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

}  // namespace duet::registrar
