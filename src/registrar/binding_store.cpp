#include "duet/registrar/binding_store.hpp"

#include <cstddef>
#include <cstring>

namespace duet::registrar {
namespace {

constexpr std::size_t kNpos = static_cast<std::size_t>(-1);
constexpr std::size_t kInitialSlots = 64;

Binding* from_timer(TimerNode* n) noexcept {
  // TimerNode is the first member of Binding.
  return reinterpret_cast<Binding*>(reinterpret_cast<char*>(n) - offsetof(Binding, timer));
}

bool same_aor(const Binding& b, const AorKey& key, std::uint32_t domain_id) noexcept {
  return b.hash == static_cast<std::uint32_t>(key.hash) && b.domain_id == domain_id &&
         b.aor_user() == key.user;
}

// Preference order within an AOR: higher q first, then the most recently changed.
bool before(const Binding& a, const Binding& b) noexcept {
  return a.q != b.q ? a.q > b.q : a.version > b.version;
}

}  // namespace

BindingStore::BindingStore(std::uint16_t shard, std::uint64_t now_ms, std::string_view site_name,
                           std::uint32_t tick_ms)
    : slots_(kInitialSlots, nullptr), tags_(kInitialSlots, 0), wheel_(now_ms, tick_ms), shard_(shard) {
  site_id_ = static_cast<std::uint16_t>(strings_.acquire(site_name));
}

BindingStore::~BindingStore() {
  for (Binding*& head : slots_) {
    Binding* b = head;
    while (b != nullptr) {
      Binding* next = b->next_in_aor;
      wheel_.cancel(b->timer);
      Binding::destroy(b);
      if (budget_ != nullptr) budget_->give_back();
      b = next;
    }
    head = nullptr;
  }
}

bool BindingStore::add_change_sink(ChangeSink* sink) noexcept {
  for (ChangeSink*& slot : sinks_) {
    if (slot == sink) return true;
    if (slot == nullptr) {
      slot = sink;
      return true;
    }
  }
  return false;
}

void BindingStore::remove_change_sink(ChangeSink* sink) noexcept {
  std::size_t out = 0;
  for (ChangeSink* s : sinks_) {
    if (s != sink && s != nullptr) sinks_[out++] = s;
  }
  while (out < kMaxSinks) sinks_[out++] = nullptr;
}

void BindingStore::reserve(std::size_t aors) {
  while (aors * 4 > slots_.size() * 3) grow();
}

std::size_t BindingStore::slot_of(const AorKey& key) const noexcept {
  const std::uint32_t domain_id = strings_.find(key.domain);
  if (domain_id == Interner::kAbsent) return kNpos;
  const std::size_t mask = slots_.size() - 1;
  const auto h = static_cast<std::uint32_t>(key.hash);
  const std::uint16_t t = tag(h);
  for (std::size_t i = home(h);; i = (i + 1) & mask) {
    const Binding* b = slots_[i];
    if (b == nullptr) return kNpos;
    if (tags_[i] == t && same_aor(*b, key, domain_id)) return i;
  }
}

Binding* BindingStore::find(const AorKey& key) const noexcept {
  const std::size_t pos = slot_of(key);
  return pos == kNpos ? nullptr : slots_[pos];
}

void BindingStore::insert_slot(Binding* head) {
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = home(head->hash);
  while (slots_[i] != nullptr) i = (i + 1) & mask;
  slots_[i] = head;
  tags_[i] = tag(head->hash);
}

void BindingStore::grow() {
  std::vector<Binding*> old(slots_.size() * 2, nullptr);
  old.swap(slots_);
  tags_.assign(slots_.size(), 0);
  for (Binding* head : old) {
    if (head != nullptr) insert_slot(head);
  }
}

// Backward-shift deletion keeps linear probing free of tombstones.
void BindingStore::erase_slot(std::size_t pos) noexcept {
  const std::size_t mask = slots_.size() - 1;
  std::size_t hole = pos;
  for (std::size_t j = (pos + 1) & mask; slots_[j] != nullptr; j = (j + 1) & mask) {
    const std::size_t want = home(slots_[j]->hash);
    // Move j into the hole unless its home lies cyclically in (hole, j].
    const bool home_in_between = hole <= j ? (want > hole && want <= j) : (want > hole || want <= j);
    if (!home_in_between) {
      slots_[hole] = slots_[j];
      tags_[hole] = tags_[j];
      hole = j;
    }
  }
  slots_[hole] = nullptr;
}

void BindingStore::link_in_aor(Binding* b, std::size_t pos) noexcept {
  Binding** link = &slots_[pos];
  while (*link != nullptr && before(**link, *b)) link = &(*link)->next_in_aor;
  b->next_in_aor = *link;
  *link = b;
}

void BindingStore::unlink_from_aor(Binding* b, std::size_t pos) noexcept {
  for (Binding** link = &slots_[pos]; *link != nullptr; link = &(*link)->next_in_aor) {
    if (*link == b) {
      *link = b->next_in_aor;
      b->next_in_aor = nullptr;
      return;
    }
  }
}

void BindingStore::fill(Binding* b, const AorKey& key, const BindingData& d, bool fresh) {
  // A refresh usually carries the same shared strings: keep their ids without a lookup.
  if (fresh || strings_.text(b->user_agent_id) != d.user_agent) {
    const std::uint32_t ua = strings_.acquire(d.user_agent);
    if (!fresh) strings_.release(b->user_agent_id);
    b->user_agent_id = ua;
  }
  if (fresh || strings_.text(b->local_id) != d.flow.local) {
    const std::uint32_t local = strings_.acquire(d.flow.local);
    if (!fresh) strings_.release(b->local_id);
    b->local_id = local;
  }
  if (fresh) {
    b->domain_id = strings_.acquire(key.domain);  // the AOR never changes for a live record
    strings_.retain(site_id_);
    b->site_id = site_id_;
  }
  b->hash = static_cast<std::uint32_t>(key.hash);
  b->cseq = d.cseq;
  b->reg_id = d.reg_id;
  b->q = d.q;
  b->flags = d.flags;
  b->set_flow(d.flow);
  b->set_strings(d);
  b->version = ++version_;
  wheel_.schedule(b->timer, d.expires_at_ms);
}

void BindingStore::release_ids(const Binding& b) noexcept {
  strings_.release(b.user_agent_id);
  strings_.release(b.local_id);
  strings_.release(b.domain_id);
  strings_.release(b.site_id);
}

Binding* BindingStore::add(const AorKey& key, const BindingData& d) {
  std::size_t bytes = 0;
  if (!Binding::string_bytes(d, bytes)) return nullptr;
  if (budget_ != nullptr) {
    if (reserved_ > 0) {
      --reserved_;
    } else if (!budget_->take()) {
      return nullptr;
    }
  }
  Binding* b = Binding::create(bytes);
  if (b == nullptr) {
    if (budget_ != nullptr) budget_->give_back();
    return nullptr;
  }
  fill(b, key, d, true);
  std::size_t pos = slot_of(key);
  if (pos == kNpos) {
    if ((aors_ + 1) * 4 > slots_.size() * 3) grow();
    b->next_in_aor = nullptr;
    insert_slot(b);
    ++aors_;
  } else {
    link_in_aor(b, pos);
  }
  ++bindings_;
  notify(ChangeKind::added, *b);
  return b;
}

Binding* BindingStore::update(Binding* b, const AorKey& key, const BindingData& d) {
  std::size_t bytes = 0;
  if (!Binding::string_bytes(d, bytes)) return nullptr;
  const std::size_t pos = slot_of(key);
  if (pos == kNpos) return nullptr;
  // A refresh keeps contact, Call-ID, instance, path and flow: only the numbers change.
  bool same = b->conn_id == d.flow.conn_id && b->port == d.flow.port && b->transport == d.flow.transport &&
              b->family == d.flow.family && std::memcmp(b->addr, d.flow.addr.data(), sizeof b->addr) == 0;
  for (std::size_t i = 0; same && i < kFieldCount; ++i) same = b->str(static_cast<Field>(i)) == d.strings[i];
  unlink_from_aor(b, pos);
  if (bytes > b->capacity) {
    Binding* nb = Binding::create(bytes);
    if (nb == nullptr) {
      link_in_aor(b, pos);
      return nullptr;
    }
    // The new record takes over the old one's interned references.
    nb->user_agent_id = b->user_agent_id;
    nb->local_id = b->local_id;
    nb->domain_id = b->domain_id;
    nb->site_id = b->site_id;
    wheel_.cancel(b->timer);
    Binding::destroy(b);
    b = nb;
  }
  fill(b, key, d, false);
  // pos is still valid: nothing was inserted into or erased from the index meanwhile (the slot
  // may have been empty for a moment if b was the AOR's only binding).
  link_in_aor(b, pos);
  notify(same ? ChangeKind::refreshed : ChangeKind::updated, *b);
  return b;
}

void BindingStore::destroy(Binding* b) noexcept {
  wheel_.cancel(b->timer);
  release_ids(*b);
  Binding::destroy(b);
  --bindings_;
  if (budget_ == nullptr) return;
  if (reserving_) {
    ++reserved_;
  } else {
    budget_->give_back();
  }
}

bool BindingStore::reserve_budget(std::size_t n) noexcept {
  if (budget_ == nullptr) return true;
  if (n != 0 && !budget_->take(n)) return false;
  reserved_ += n;
  reserving_ = true;
  return true;
}

void BindingStore::release_reserved() noexcept {
  reserving_ = false;
  if (budget_ != nullptr && reserved_ != 0) budget_->give_back(reserved_);
  reserved_ = 0;
}

void BindingStore::remove(Binding* b, const AorKey& key, ChangeKind why) {
  const std::size_t pos = slot_of(key);
  if (pos == kNpos) return;
  unlink_from_aor(b, pos);
  if (slots_[pos] == nullptr) {
    erase_slot(pos);
    --aors_;
  }
  b->version = ++version_;
  notify(why, *b);
  destroy(b);
}

std::size_t BindingStore::expire(std::uint64_t now_ms, std::size_t budget) {
  return wheel_.advance(
      now_ms,
      [this](TimerNode& n) {
        Binding* b = from_timer(&n);
        // Rebuild the key from the binding itself to find its slot.
        AorKey key;
        key.user = b->aor_user();
        key.domain = strings_.text(b->domain_id);
        key.hash = b->hash;
        remove(b, key, ChangeKind::expired);
      },
      budget);
}

}  // namespace duet::registrar
