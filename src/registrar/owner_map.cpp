#include "duet/registrar/owner_map.hpp"

#include <sys/mman.h>

#include <atomic>
#include <cerrno>
#include <system_error>

namespace duet::registrar {

OwnerMap::OwnerMap(unsigned slot_bits) : mask_((std::size_t{1} << slot_bits) - 1) {
  // mmap rather than new[]: anonymous pages read as zero and are only backed once written.
  void* p = ::mmap(nullptr, slots() * sizeof(std::uint16_t), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "AOR owner map");
  words_ = static_cast<std::uint16_t*>(p);
}

OwnerMap::~OwnerMap() {
  ::munmap(words_, slots() * sizeof(std::uint16_t));
}

std::uint16_t OwnerMap::claim(std::uint64_t hash, std::uint16_t claimant) noexcept {
  std::atomic_ref<std::uint16_t> word(words_[slot(hash)]);
  std::uint16_t seen = word.load(std::memory_order_acquire);
  if (seen == 0 && word.compare_exchange_strong(seen, static_cast<std::uint16_t>(claimant + 1),
                                                std::memory_order_acq_rel, std::memory_order_acquire)) {
    return claimant;
  }
  return static_cast<std::uint16_t>(seen - 1);  // claimed before, or by the thread that beat us
}

std::uint16_t OwnerMap::owner(std::uint64_t hash, std::uint16_t if_unclaimed) const noexcept {
  const std::uint16_t seen =
      std::atomic_ref<std::uint16_t>(words_[slot(hash)]).load(std::memory_order_acquire);
  return seen == 0 ? if_unclaimed : static_cast<std::uint16_t>(seen - 1);
}

}  // namespace duet::registrar
