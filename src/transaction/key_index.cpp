#include "key_index.hpp"

#include <functional>

#include "transaction.hpp"

namespace duet::transaction {

KeyIndex::KeyIndex(Mode mode, std::size_t max_entries) : mode_(mode) {
  // About one entry per bucket at the cap keeps chains short without rehashing.
  std::size_t n = 16;
  while (n < max_entries && n < (std::size_t{1} << 24)) n <<= 1;
  buckets_.assign(n, nullptr);
  mask_ = n - 1;
}

std::size_t KeyIndex::bucket(const sip::TransactionKey& k) const noexcept {
  if (mode_ == Mode::client) {
    const std::hash<std::string_view> h;
    return (h(k.branch) * 31u + h(k.method_text)) & mask_;
  }
  return sip::hash_transaction_key(k) & mask_;
}

bool KeyIndex::equal(const sip::TransactionKey& a, const sip::TransactionKey& b) const noexcept {
  if (mode_ == Mode::client) return a.branch == b.branch && a.method_text == b.method_text;
  return sip::same_transaction(a, b);
}

void KeyIndex::insert(Transaction& t) noexcept {
  Transaction*& head = buckets_[bucket(t.key)];
  t.hash_next = head;
  head = &t;
  t.indexed = true;
}

void KeyIndex::erase(Transaction& t) noexcept {
  if (!t.indexed) return;
  for (Transaction** p = &buckets_[bucket(t.key)]; *p; p = &(*p)->hash_next) {
    if (*p == &t) {
      *p = t.hash_next;
      break;
    }
  }
  t.hash_next = nullptr;
  t.indexed = false;
}

Transaction* KeyIndex::find(const sip::TransactionKey& k) const noexcept {
  for (Transaction* t = buckets_[bucket(k)]; t; t = t->hash_next) {
    if (equal(t->key, k)) return t;
  }
  return nullptr;
}

}  // namespace duet::transaction
