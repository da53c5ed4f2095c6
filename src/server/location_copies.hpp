// Copies of location answers, so that a call to an AOR that another worker owns does not cross
// workers every time. Without them every such INVITE posts a lookup to the owner and waits for the
// answer: two wake-ups of sleeping threads per call, measured at 20-45 µs of CPU per call at 500
// calls/s, more than the proxy's own user-space work.
//
// The owner answers a lookup with its bindings and remembers that the asking worker now holds a
// copy (CopyHolders, a ChangeSink on the owner's store). Any change to a binding of that AOR
// (added, refreshed, updated, out of service, removed, expired) tells every holder to drop its
// copy, through the workers' mailboxes, which keep the order of posts: an answer posted before the
// change reaches the holder before the drop. A copy also lapses when its earliest binding would
// expire, so a copy never outlives what it says. Lookups that need the peer's replicated bindings
// (dr-forward oos) are not copied: those change on the replication stream, not in the store.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "duet/proxy/location.hpp"
#include "duet/registrar/change_sink.hpp"

namespace duet::server {

// On a worker that does not own the AORs: the copies it holds, keyed by the low 32 bits of the
// AOR hash (what a Binding keeps, so the owner can name an AOR in a drop). Two AORs sharing those
// bits share a slot: the later copy replaces the earlier, and a drop for either drops both.
class LocationCopies {
 public:
  static constexpr std::size_t kMaxCopies = 65536;

  // The copy of user@domain if one is held and still valid at now_ms, else nullptr.
  const proxy::Location* find(std::string_view user, std::string_view domain, std::uint32_t hash,
                              std::uint64_t now_ms) const;
  // Keeps loc as the copy of user@domain until valid_until_ms. When kMaxCopies are held, lapsed
  // copies are dropped first, then all of them (they are only copies).
  void keep(std::string_view user, std::string_view domain, std::uint32_t hash, std::uint64_t valid_until_ms,
            const proxy::Location& loc, std::uint64_t now_ms);
  void drop(std::uint32_t hash) { copies_.erase(hash); }
  std::size_t size() const noexcept { return copies_.size(); }

 private:
  struct Copy {
    std::string user, domain;
    std::uint64_t valid_until_ms = 0;
    proxy::Location location;
  };
  std::unordered_map<std::uint32_t, Copy> copies_;
};

// On the owner: which workers hold a copy of an AOR's answer. Workers 0..63 can hold copies
// (a 64-bit mask per AOR); a lookup from a worker beyond that is answered but not copied.
class CopyHolders final : public registrar::ChangeSink {
 public:
  static constexpr std::uint16_t kMaxHolders = 64;
  // Tells worker `holder` to drop its copies of the AORs whose hash has these low bits.
  using DropFn = void (*)(void* ctx, std::uint16_t holder, std::uint32_t hash);

  CopyHolders(DropFn drop, void* ctx) : drop_(drop), ctx_(ctx) {}

  // Records that holder now holds a copy; false if it may not (holder >= kMaxHolders).
  bool add(std::uint32_t hash, std::uint16_t holder);
  std::size_t size() const noexcept { return holders_.size(); }

  void on_binding_change(const registrar::BindingStore& store, registrar::ChangeKind kind,
                         const registrar::Binding& b) noexcept override;

 private:
  std::unordered_map<std::uint32_t, std::uint64_t> holders_;  // low hash -> mask of workers
  DropFn drop_;
  void* ctx_;
};

}  // namespace duet::server
