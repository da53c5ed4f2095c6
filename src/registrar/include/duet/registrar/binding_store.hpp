// The bindings of one shard (owned by one event loop, so no locks): an open-addressing index by
// AOR key whose slots point at the first binding of each AOR, the AOR's bindings chained from it
// in preference order (q descending, then most recently changed first), and a timer wheel that
// expires them. Each binding is one allocation; interned ids name the shared strings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "duet/registrar/aor_key.hpp"
#include "duet/registrar/binding.hpp"
#include "duet/registrar/binding_budget.hpp"
#include "duet/registrar/change_sink.hpp"
#include "duet/registrar/interner.hpp"
#include "duet/registrar/timer_wheel.hpp"

namespace duet::registrar {

class BindingStore {
 public:
  BindingStore(std::uint16_t shard, std::uint64_t now_ms, std::string_view site_name,
               std::uint32_t tick_ms = 1000);
  ~BindingStore();
  BindingStore(const BindingStore&) = delete;
  BindingStore& operator=(const BindingStore&) = delete;

  // Sizes the index for n AORs up front (avoids rehashing while a million phones register).
  void reserve(std::size_t aors);

  // First binding of the AOR (then follow next_in_aor), or nullptr. May include bindings whose
  // time has passed but that the wheel has not collected yet: check remaining_s(now).
  Binding* find(const AorKey& key) const noexcept;

  // Counts every binding this store creates and frees against budget (shared with the other
  // shards; it must outlive the store). Set before the first add().
  void set_budget(BindingBudget* budget) noexcept { budget_ = budget; }
  BindingBudget* budget() const noexcept { return budget_; }

  // One request's changes as a unit against the budget: reserve_budget(n) takes n from it for the add()
  // calls that follow (all or none: false when they do not fit), and until release_reserved()
  // every binding removed meanwhile adds its share to the reservation instead of going back to
  // the other shards, so a request that swaps contacts at the limit can. release_reserved() gives
  // back what was not used. Without a budget both succeed and do nothing.
  bool reserve_budget(std::size_t n) noexcept;
  void release_reserved() noexcept;

  // Adds a binding to the AOR (created if new). nullptr if a string is too long, memory ran out or
  // the budget is spent.
  Binding* add(const AorKey& key, const BindingData& d);
  // Rewrites b (same AOR) from d; returns the binding, which moved if its strings outgrew it
  // (nullptr if that reallocation failed; b is then left untouched).
  Binding* update(Binding* b, const AorKey& key, const BindingData& d);
  // Removes and frees b.
  void remove(Binding* b, const AorKey& key, ChangeKind why = ChangeKind::removed);

  // Marks b reachable or out of service (OPTIONS probes, flow failure); reports an `updated`
  // change when that flips. A REGISTER refreshing b makes it reachable again.
  void set_out_of_service(Binding* b, bool oos) noexcept {
    if (b->out_of_service() == oos) return;
    b->flags = static_cast<std::uint8_t>(oos ? (b->flags | Binding::kOutOfService)
                                             : (b->flags & ~Binding::kOutOfService));
    notify(ChangeKind::updated, *b);
  }

  // Expires bindings due by now_ms, at most budget of them. Returns how many were removed.
  std::size_t expire(std::uint64_t now_ms, std::size_t budget = static_cast<std::size_t>(-1));
  // True if the last expire() left due bindings for the next call.
  bool expiry_backlog() const noexcept { return wheel_.backlog(); }

  std::size_t aor_count() const noexcept { return aors_; }
  std::size_t binding_count() const noexcept { return bindings_; }
  std::size_t index_capacity() const noexcept { return slots_.size(); }
  std::uint16_t shard() const noexcept { return shard_; }
  std::uint64_t version() const noexcept { return version_; }
  std::uint16_t site_id() const noexcept { return site_id_; }

  const Interner& strings() const noexcept { return strings_; }
  std::string_view domain(const Binding& b) const noexcept { return strings_.text(b.domain_id); }
  std::string_view user_agent(const Binding& b) const noexcept { return strings_.text(b.user_agent_id); }
  std::string_view site(const Binding& b) const noexcept { return strings_.text(b.site_id); }
  std::string_view local(const Binding& b) const noexcept { return strings_.text(b.local_id); }

  // Sinks told of every change, in the order added (the replication feed, the owner's record of
  // which workers hold a copy of an AOR's location). At most kMaxSinks; false when full.
  static constexpr std::size_t kMaxSinks = 2;
  bool add_change_sink(ChangeSink* sink) noexcept;
  void remove_change_sink(ChangeSink* sink) noexcept;

  // Index slots (for walking the store a slice at a time): at_slot(i) is an AOR's first binding or nullptr.
  std::size_t slot_count() const noexcept { return slots_.size(); }
  Binding* at_slot(std::size_t i) const noexcept { return slots_[i]; }

  // Visits every AOR's first binding (for dumps and the replication snapshot).
  template <class F>
  void for_each_aor(F&& f) const {
    for (Binding* b : slots_) {
      if (b != nullptr) f(*b);
    }
  }

 private:
  std::size_t slot_of(const AorKey& key) const noexcept;  // the slot holding key, or npos
  std::size_t home(std::uint32_t hash) const noexcept { return hash & (slots_.size() - 1); }
  // 16 bits of the hash, mixed so that they do not repeat the home bits: a probe compares these
  // and only follows a pointer on a match (without them, an insert at 3/4 load followed about
  // eight pointers, a cache miss each).
  static std::uint16_t tag(std::uint32_t hash) noexcept {
    return static_cast<std::uint16_t>((hash * 0x9E3779B1u) >> 16);
  }
  void grow();
  void insert_slot(Binding* head);
  void erase_slot(std::size_t pos) noexcept;
  // Places b in its AOR's chain by (q desc, version desc); chain_head is the slot's binding.
  void link_in_aor(Binding* b, std::size_t pos) noexcept;
  void unlink_from_aor(Binding* b, std::size_t pos) noexcept;
  // fresh: b holds no interned references yet.
  void fill(Binding* b, const AorKey& key, const BindingData& d, bool fresh);
  void release_ids(const Binding& b) noexcept;
  void notify(ChangeKind kind, const Binding& b) noexcept {
    for (ChangeSink* sink : sinks_) {
      if (sink == nullptr) break;
      sink->on_binding_change(*this, kind, b);
    }
  }
  void destroy(Binding* b) noexcept;

  std::vector<Binding*> slots_;      // power of two; nullptr = empty
  std::vector<std::uint16_t> tags_;  // tags_[i] = tag(slots_[i]->hash) where slots_[i] is not null
  std::size_t aors_ = 0;
  std::size_t bindings_ = 0;
  BindingBudget* budget_ = nullptr;
  std::size_t reserved_ = 0;  // taken from budget_ for the current request's add() calls
  bool reserving_ = false;    // between reserve_budget() and release_reserved()
  TimerWheel wheel_;
  Interner strings_;
  ChangeSink* sinks_[kMaxSinks] = {};  // the first nullptr ends the list
  std::uint64_t version_ = 0;
  std::uint16_t shard_;
  std::uint16_t site_id_;
};

}  // namespace duet::registrar
