#include "duet/replication/hlc.hpp"

#include <algorithm>
#include <chrono>

namespace duet::replication {

std::uint64_t HybridClock::now(std::uint64_t wall) noexcept {
  const std::uint64_t pt = wall << kCounterBits;
  // Same or earlier millisecond than the last event (or a clock that went back): count up.
  last_ = pt > last_ ? pt : last_ + 1;
  return last_;
}

void HybridClock::observe(std::uint64_t remote, std::uint64_t wall) noexcept {
  last_ = std::max({last_, remote, wall << kCounterBits});
}

std::uint64_t wall_ms() noexcept {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

}  // namespace duet::replication
