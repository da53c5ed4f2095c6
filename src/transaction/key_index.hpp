// The hash index that finds a transaction from a message (private to the library). Buckets are
// sized once from the transaction cap and chains are intrusive, so inserting never allocates.
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

 private:
  std::size_t bucket(const sip::TransactionKey& k) const noexcept;
  bool equal(const sip::TransactionKey& a, const sip::TransactionKey& b) const noexcept;

  Mode mode_;
  std::vector<Transaction*> buckets_;
  std::size_t mask_;
};

}  // namespace duet::transaction
