// Which worker owns an AOR's bindings: the worker that first received a REGISTER for it.
//
// The kernel steers each phone to one worker (SO_REUSEPORT hashes a UDP source address to one
// socket; a connection stays with the worker that accepted it), so when the worker that first
// hears from a phone owns its AOR, the phone's refreshes arrive where its bindings are and are
// handled on the spot. Hashing AORs to workers instead hands half of all REGISTERs to the other
// worker, and on two cores a hand-over (copy, wake-up, second parse, a send outside the batch)
// costs about a third of what the REGISTER itself does.
//
// Ownership is kept per hash slot, one 16-bit word each, claimed once by compare-and-swap and never
// changed: any thread reads and claims without a lock, and an owner, once seen, stays right. AORs
// that share a slot share an owner, which only costs them a hand-over now and then. Every path
// that creates bindings (a REGISTER, a replicated binding) claims first, so an unclaimed slot
// means no worker holds bindings for it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace duet::registrar {

class OwnerMap {
 public:
  // 2^slot_bits slots, reserved as untouched zero pages: only the pages of slots used cost memory.
  // AORs land on slots at random, so a few thousand touch every page: the default, 2^20 slots
  // (2 MiB), is 20 bytes per binding at 100,000 AORs and 2 at a million, and leaves slots shared
  // rarely enough at the AOR counts of a contact centre.
  // Throws std::system_error if the address space cannot be reserved.
  explicit OwnerMap(unsigned slot_bits = 20);
  ~OwnerMap();
  OwnerMap(const OwnerMap&) = delete;
  OwnerMap& operator=(const OwnerMap&) = delete;

  // Any thread: the owner of hash's slot; if unclaimed, claims it for claimant and returns that.
  std::uint16_t claim(std::uint64_t hash, std::uint16_t claimant) noexcept;
  // Any thread: the owner of hash's slot, or if_unclaimed.
  std::uint16_t owner(std::uint64_t hash, std::uint16_t if_unclaimed) const noexcept;
  std::size_t slots() const noexcept { return mask_ + 1; }

 private:
  // The high half, like shard_of: the low half places the AOR in its shard's index.
  std::size_t slot(std::uint64_t hash) const noexcept { return static_cast<std::size_t>(hash >> 32) & mask_; }
  std::uint16_t* words_ = nullptr;  // 0: unclaimed; else owner + 1
  std::size_t mask_ = 0;
};

}  // namespace duet::registrar
