#include "duet/replication/spsc_ring.hpp"

#include <cstring>

namespace duet::replication {

SpscRing::SpscRing(std::size_t capacity) {
  std::size_t c = 64;
  while (c < capacity) c <<= 1;
  buf_.reset(new char[c]);
  mask_ = c - 1;
}

void SpscRing::copy_in(std::uint64_t pos, const void* src, std::size_t n) noexcept {
  const std::size_t at = static_cast<std::size_t>(pos) & mask_;
  const std::size_t first = n < mask_ + 1 - at ? n : mask_ + 1 - at;
  std::memcpy(buf_.get() + at, src, first);
  std::memcpy(buf_.get(), static_cast<const char*>(src) + first, n - first);
}

void SpscRing::copy_out(std::uint64_t pos, void* dst, std::size_t n) const noexcept {
  const std::size_t at = static_cast<std::size_t>(pos) & mask_;
  const std::size_t first = n < mask_ + 1 - at ? n : mask_ + 1 - at;
  std::memcpy(dst, buf_.get() + at, first);
  std::memcpy(static_cast<char*>(dst) + first, buf_.get(), n - first);
}

bool SpscRing::push(std::string_view msg) noexcept {
  const std::uint64_t head = head_.load(std::memory_order_relaxed);
  const std::uint64_t tail = tail_.load(std::memory_order_acquire);
  const std::size_t need = 4 + msg.size();
  if (need > mask_ + 1 - (head - tail)) return false;
  const auto len = static_cast<std::uint32_t>(msg.size());
  copy_in(head, &len, 4);
  copy_in(head + 4, msg.data(), msg.size());
  head_.store(head + need, std::memory_order_release);
  return true;
}

}  // namespace duet::replication
