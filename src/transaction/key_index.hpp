// The hash index that finds a transaction from a message (private to the library).
//
// Open addressing with linear probing, each slot holding the key's hash next to the transaction:
// a lookup reads one or two cache lines of the slot array and touches a transaction only when
// its full hash matches. With chains, every neighbour passed on the way was a transaction read
// from memory, and with tens of thousands live (Timers J, L and M keep them 32 s) those reads were
// cache misses: under call load, the index's chain walk was the proxy's costliest user-space
// function.
//
// The array starts small and doubles with the live transactions, kept at most half full, up to
// twice the cap's size. Inserting allocates only when it doubles; if that fails (out of memory),
// the array fills further, and past its last free slot the entry goes on an overflow list, so no
// transaction is ever left unindexed.
#pragma once

#include <cstddef>
#include <vector>

#include "duet/sip/transaction_key.hpp"

namespace duet::transaction {

struct Transaction;

class KeyIndex {
 public:
  enum class Mode {
    server,  // §17.2.3: branch + sent-by + method (ACK as INVITE), or the RFC 2543 fields
    client,  // §17.1.3: branch + CSeq method (the branch is ours, so sent-by adds nothing)
  };
  KeyIndex(Mode mode, std::size_t max_entries);

  void insert(Transaction& t) noexcept;
  // hash: what find() reported for t's key (a new transaction is looked for first: one hash, not two).
  void insert(Transaction& t, std::size_t hash) noexcept;
  void erase(Transaction& t) noexcept;
  Transaction* find(const sip::TransactionKey& k) const noexcept {
    std::size_t h;
    return find(k, h);
  }
  Transaction* find(const sip::TransactionKey& k, std::size_t& hash_out) const noexcept;
  std::size_t slot_count() const noexcept { return slots_.size(); }
  std::size_t size() const noexcept { return in_array_ + overflowed_; }

 private:
  struct Slot {
    std::size_t hash = 0;
    Transaction* txn = nullptr;  // nullptr: free
  };
  std::size_t hash(const sip::TransactionKey& k) const noexcept;
  bool equal(const sip::TransactionKey& a, const sip::TransactionKey& b) const noexcept;
  void grow();
  void place(Transaction& t) noexcept;  // into the array (which has a free slot)

  Mode mode_;
  std::vector<Slot> slots_;
  std::size_t mask_;
  std::size_t max_slots_;
  std::size_t in_array_ = 0;
  std::size_t overflowed_ = 0;
  Transaction* overflow_ = nullptr;  // chained through Transaction::hash_next; normally empty
};

}  // namespace duet::transaction
