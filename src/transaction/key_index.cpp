#include "key_index.hpp"

#include <algorithm>
#include <new>

#include "transaction.hpp"

namespace duet::transaction {

namespace {
constexpr std::size_t kInitialSlots = 1024;
}

KeyIndex::KeyIndex(Mode mode, std::size_t max_entries) : mode_(mode) {
  // At most half full at the cap keeps probe runs short (about 2.5 slots for a miss).
  max_slots_ = 16;
  while (max_slots_ < 2 * max_entries && max_slots_ < (std::size_t{1} << 25)) max_slots_ <<= 1;
  slots_.resize(std::min(kInitialSlots, max_slots_));
  mask_ = slots_.size() - 1;
}

std::size_t KeyIndex::hash(const sip::TransactionKey& k) const noexcept {
  if (mode_ == Mode::client) return sip::hash_client_key(k.branch, k.method_text);
  return sip::hash_transaction_key(k);
}

bool KeyIndex::equal(const sip::TransactionKey& a, const sip::TransactionKey& b) const noexcept {
  if (mode_ == Mode::client) return a.branch == b.branch && a.method_text == b.method_text;
  return sip::same_transaction(a, b);
}

void KeyIndex::place(Transaction& t) noexcept {
  std::size_t i = t.key_hash & mask_;
  while (slots_[i].txn != nullptr) i = (i + 1) & mask_;
  slots_[i] = {t.key_hash, &t};
}

void KeyIndex::grow() {
  std::vector<Slot> next(slots_.size() * 2);  // all or nothing: built before it replaces the old one
  std::swap(slots_, next);
  mask_ = slots_.size() - 1;
  for (const Slot& s : next) {
    if (s.txn != nullptr) place(*s.txn);
  }
  // Entries that overflowed while the array could not grow come back into it.
  while (overflow_ != nullptr && 2 * (in_array_ + 1) <= slots_.size()) {
    Transaction* t = overflow_;
    overflow_ = t->hash_next;
    t->hash_next = nullptr;
    place(*t);
    ++in_array_;
    --overflowed_;
  }
}

void KeyIndex::insert(Transaction& t) noexcept {
  insert(t, hash(t.key));
}

void KeyIndex::insert(Transaction& t, std::size_t hash) noexcept {
  if (2 * (in_array_ + 1) > slots_.size() && slots_.size() < max_slots_) {
    try {
      grow();
    } catch (const std::bad_alloc&) {
      // The array fills further until an insert can grow it.
    }
  }
  t.key_hash = hash;
  t.indexed = true;
  if (in_array_ + 2 <= slots_.size()) {  // one slot always stays free, so every probe run ends
    place(t);
    ++in_array_;
    return;
  }
  t.hash_next = overflow_;
  overflow_ = &t;
  ++overflowed_;
}

void KeyIndex::erase(Transaction& t) noexcept {
  if (!t.indexed) return;
  t.indexed = false;
  for (Transaction** p = &overflow_; *p != nullptr; p = &(*p)->hash_next) {
    if (*p == &t) {
      *p = t.hash_next;
      t.hash_next = nullptr;
      --overflowed_;
      return;
    }
  }
  --in_array_;
  std::size_t i = t.key_hash & mask_;
  while (slots_[i].txn != &t) i = (i + 1) & mask_;  // it is in the array: it was not on the list
  // Backward-shift deletion: move later members of the probe run into the hole when their home
  // slot does not lie (cyclically) after it, so that no lookup stops early at the hole.
  std::size_t hole = i;
  for (std::size_t j = (i + 1) & mask_; slots_[j].txn != nullptr; j = (j + 1) & mask_) {
    const std::size_t home = slots_[j].hash & mask_;
    const bool stays = ((j - home) & mask_) < ((j - hole) & mask_);
    if (!stays) {
      slots_[hole] = slots_[j];
      hole = j;
    }
  }
  slots_[hole] = Slot{};
}

Transaction* KeyIndex::find(const sip::TransactionKey& k, std::size_t& hash_out) const noexcept {
  const std::size_t h = hash_out = hash(k);
  for (std::size_t i = h & mask_; slots_[i].txn != nullptr; i = (i + 1) & mask_) {
    // The stored hash first: a transaction whose hash differs is never read.
    if (slots_[i].hash == h && equal(slots_[i].txn->key, k)) return slots_[i].txn;
  }
  for (Transaction* t = overflow_; t != nullptr; t = t->hash_next) {
    if (t->key_hash == h && equal(t->key, k)) return t;
  }
  return nullptr;
}

}  // namespace duet::transaction
