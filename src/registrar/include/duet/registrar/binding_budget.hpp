// How many bindings one site holds, all shards together, against [registrar] max_bindings: an open
// registrar (no digest yet) must not let a flood of invented AORs take the memory, and then the
// process, that the real phones' bindings live in. Shared by the shards' stores; one relaxed
// atomic, touched only when a binding is created or destroyed (never on a refresh or a lookup).
#pragma once

#include <atomic>
#include <cstddef>

namespace duet::registrar {

class BindingBudget {
 public:
  explicit BindingBudget(std::size_t limit) noexcept : limit_(limit) {}
  BindingBudget(const BindingBudget&) = delete;
  BindingBudget& operator=(const BindingBudget&) = delete;

  // One more binding, if the limit allows it.
  bool take() noexcept {
    if (used_.fetch_add(1, std::memory_order_relaxed) < limit_) return true;
    used_.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  void give_back() noexcept { used_.fetch_sub(1, std::memory_order_relaxed); }
  // Whether n more would fit now (another shard may take them meanwhile: take() decides).
  bool room_for(std::size_t n) const noexcept { return used_.load(std::memory_order_relaxed) + n <= limit_; }

  std::size_t used() const noexcept { return used_.load(std::memory_order_relaxed); }
  std::size_t limit() const noexcept { return limit_; }

 private:
  std::atomic<std::size_t> used_{0};
  const std::size_t limit_;
};

}  // namespace duet::registrar
