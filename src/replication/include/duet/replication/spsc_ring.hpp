// A bounded single-producer single-consumer ring of variable-size messages (u32 length + bytes),
// from one worker to the control loop. The producer never blocks and never allocates: a message
// that does not fit is refused and the caller counts it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace duet::replication {

class SpscRing {
 public:
  explicit SpscRing(std::size_t capacity_bytes);  // rounded up to a power of two

  // Producer thread. False if the ring lacks room for the message.
  bool push(std::string_view msg) noexcept;
  // Consumer thread: calls f(std::string_view) for up to max messages. Returns how many.
  template <class F>
  std::size_t drain(F&& f, std::size_t max = static_cast<std::size_t>(-1)) {
    std::size_t n = 0;
    std::uint64_t tail = tail_.load(std::memory_order_relaxed);
    const std::uint64_t head = head_.load(std::memory_order_acquire);
    while (tail != head && n < max) {
      std::uint32_t len;
      copy_out(tail, &len, 4);
      scratch_.resize(len);
      copy_out(tail + 4, scratch_.data(), len);
      tail += 4 + len;
      f(std::string_view(scratch_));
      ++n;
    }
    tail_.store(tail, std::memory_order_release);
    return n;
  }
  std::size_t used_bytes() const noexcept {
    return static_cast<std::size_t>(head_.load(std::memory_order_acquire) -
                                    tail_.load(std::memory_order_acquire));
  }
  std::size_t capacity() const noexcept { return mask_ + 1; }

 private:
  void copy_in(std::uint64_t pos, const void* src, std::size_t n) noexcept;
  void copy_out(std::uint64_t pos, void* dst, std::size_t n) const noexcept;

  std::unique_ptr<char[]> buf_;
  std::size_t mask_;
  alignas(64) std::atomic<std::uint64_t> head_{0};  // producer
  alignas(64) std::atomic<std::uint64_t> tail_{0};  // consumer
  std::string scratch_;                             // consumer's copy of a message
};

}  // namespace duet::replication
