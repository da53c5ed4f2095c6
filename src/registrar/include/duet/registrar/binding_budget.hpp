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

  // n more bindings, all or none, if the limit allows them.
  bool take(std::size_t n = 1) noexcept {
    std::size_t used = used_.load(std::memory_order_relaxed);
    do {
      if (n > limit_ || used > limit_ - n) return false;
    } while (!used_.compare_exchange_weak(used, used + n, std::memory_order_relaxed));
    return true;
  }
  void give_back(std::size_t n = 1) noexcept { used_.fetch_sub(n, std::memory_order_relaxed); }

  std::size_t used() const noexcept { return used_.load(std::memory_order_relaxed); }
  std::size_t limit() const noexcept { return limit_; }

 private:
  std::atomic<std::size_t> used_{0};
  const std::size_t limit_;
};

}  // namespace duet::registrar
