#include "duet/agents/hybrid_clock.hpp"

#include <algorithm>
#include <chrono>

namespace duet::agents {

HybridClock::HybridClock(WallMs wall_ms) : wall_ms_(std::move(wall_ms)) {
  if (!wall_ms_) {
    wall_ms_ = [] {
      return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                            std::chrono::system_clock::now().time_since_epoch())
                                            .count());
    };
  }
}

std::uint64_t HybridClock::now() {
  const std::uint64_t wall = pack(wall_ms_(), 0);
  // Counter overflow (65536 stamps in one ms) simply carries into the millisecond part.
  last_ = std::max(wall, last_ + 1);
  return last_;
}

void HybridClock::observe(std::uint64_t remote) noexcept {
  last_ = std::max(last_, remote);
}

}  // namespace duet::agents
