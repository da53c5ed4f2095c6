// The hash index that finds a transaction from a message (private to the library). Chains are
// intrusive, so inserting allocates only when the bucket array doubles (and if that fails, the
// entry still goes in, on a longer chain): it starts small and grows
// with the live transactions (to one bucket per entry, at most the cap's), so a worker's index
// costs what its load needs, not what the cap allows.
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
  void erase(Transaction& t) noexcept;
  Transaction* find(const sip::TransactionKey& k) const noexcept;
  std::size_t bucket_count() const noexcept { return buckets_.size(); }

 private:
  std::size_t hash(const sip::TransactionKey& k) const noexcept;
  bool equal(const sip::TransactionKey& a, const sip::TransactionKey& b) const noexcept;
  void grow();

  Mode mode_;
  std::vector<Transaction*> buckets_;
  std::size_t mask_;
  std::size_t max_buckets_;
  std::size_t size_ = 0;
};

}  // namespace duet::transaction
