// Hybrid logical clock (Kulkarni et al.): a timestamp (wall ms << 16 | counter) that never goes
// backwards on this node, stays close to wall time, and is pushed past every time seen from the
// peer, so a change made after seeing another one always carries a larger time.
#pragma once

#include <cstdint>

namespace duet::replication {

class HybridClock {
 public:
  static constexpr int kCounterBits = 16;
  static std::uint64_t physical(std::uint64_t ts) noexcept { return ts >> kCounterBits; }

  // A new local event at wall time wall_ms.
  std::uint64_t now(std::uint64_t wall_ms) noexcept;
  // A time received from the peer.
  void observe(std::uint64_t remote_ts, std::uint64_t wall_ms) noexcept;
  std::uint64_t last() const noexcept { return last_; }

 private:
  std::uint64_t last_ = 0;
};

// Wall-clock milliseconds since the epoch.
std::uint64_t wall_ms() noexcept;

}  // namespace duet::replication
