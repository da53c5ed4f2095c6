// A hybrid logical clock (Kulkarni et al.): timestamps follow wall time in milliseconds but never
// go backwards and always exceed every timestamp seen from the peer, so a change made after
// receiving a record orders after it even when the two sites' clocks disagree.
#pragma once

#include <cstdint>
#include <functional>

namespace duet::agents {

class HybridClock {
 public:
  using WallMs = std::function<std::uint64_t()>;
  // wall_ms: unix time in ms (default: the system clock); injectable for tests.
  explicit HybridClock(WallMs wall_ms = {});

  // A fresh timestamp, strictly greater than every previous now() and observe()d value.
  std::uint64_t now();
  // Takes in a timestamp received from the peer.
  void observe(std::uint64_t remote) noexcept;
  std::uint64_t last() const noexcept { return last_; }

  static constexpr std::uint64_t pack(std::uint64_t ms, std::uint64_t counter) noexcept {
    return (ms << 16) | (counter & 0xffff);
  }
  static constexpr std::uint64_t millis(std::uint64_t hlc) noexcept { return hlc >> 16; }

 private:
  WallMs wall_ms_;
  std::uint64_t last_ = 0;
};

}  // namespace duet::agents
