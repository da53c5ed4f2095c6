#include "key_index.hpp"

#include <algorithm>
#include <functional>
#include <new>

#include "transaction.hpp"

namespace duet::transaction {

namespace {
constexpr std::size_t kInitialBuckets = 1024;
}

KeyIndex::KeyIndex(Mode mode, std::size_t max_entries) : mode_(mode) {
  // About one entry per bucket at the cap keeps chains short.
  max_buckets_ = 16;
  while (max_buckets_ < max_entries && max_buckets_ < (std::size_t{1} << 24)) max_buckets_ <<= 1;
  buckets_.assign(std::min(kInitialBuckets, max_buckets_), nullptr);
  mask_ = buckets_.size() - 1;
}

std::size_t KeyIndex::hash(const sip::TransactionKey& k) const noexcept {
  if (mode_ == Mode::client) {
    const std::hash<std::string_view> h;
    return h(k.branch) * 31u + h(k.method_text);
  }
  return sip::hash_transaction_key(k);
}

bool KeyIndex::equal(const sip::TransactionKey& a, const sip::TransactionKey& b) const noexcept {
  if (mode_ == Mode::client) return a.branch == b.branch && a.method_text == b.method_text;
  return sip::same_transaction(a, b);
}

void KeyIndex::grow() {
  std::vector<Transaction*> next(buckets_.size() * 2, nullptr);
  const std::size_t mask = next.size() - 1;
  for (Transaction* head : buckets_) {
    while (head != nullptr) {
      Transaction* t = head;
      head = t->hash_next;
      Transaction*& slot = next[t->key_hash & mask];
      t->hash_next = slot;
      slot = t;
    }
  }
  buckets_.swap(next);
  mask_ = mask;
}

void KeyIndex::insert(Transaction& t) noexcept {
  if (size_ >= buckets_.size() && buckets_.size() < max_buckets_) {
    try {
      grow();  // all or nothing: the new array is built before it replaces the old one
    } catch (const std::bad_alloc&) {
      // Longer chains until the next insert tries again, rather than a transaction left unindexed.
    }
  }
  t.key_hash = hash(t.key);
  Transaction*& head = buckets_[t.key_hash & mask_];
  t.hash_next = head;
  head = &t;
  t.indexed = true;
  ++size_;
}

void KeyIndex::erase(Transaction& t) noexcept {
  if (!t.indexed) return;
  for (Transaction** p = &buckets_[t.key_hash & mask_]; *p; p = &(*p)->hash_next) {
    if (*p == &t) {
      *p = t.hash_next;
      break;
    }
  }
  t.hash_next = nullptr;
  t.indexed = false;
  --size_;
}

Transaction* KeyIndex::find(const sip::TransactionKey& k) const noexcept {
  const std::size_t h = hash(k);
  for (Transaction* t = buckets_[h & mask_]; t; t = t->hash_next) {
    // The stored hash first: a chain neighbour's key (views into its stored request) stays unread.
    if (t->key_hash == h && equal(t->key, k)) return t;
  }
  return nullptr;
}

}  // namespace duet::transaction
