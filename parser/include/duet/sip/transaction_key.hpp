// Inputs for RFC 3261 §17.2.3 transaction matching, with the RFC 2543 fallback for old clients.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "duet/sip/message.hpp"
#include "duet/sip/via.hpp"

namespace duet::sip {

struct TransactionKey {
  bool rfc3261 = false;  // branch carries the magic cookie
  std::string_view branch;
  std::string_view sent_by_host;
  std::uint16_t sent_by_port = 0;
  // ACK and CANCEL are not their own transaction's method: ACK matches the INVITE server
  // transaction, CANCEL has its own transaction but must be matched to the INVITE by the proxy.
  Method method = Method::unknown;
  std::string_view method_text;
  // RFC 2543 fallback (§17.2.3 last paragraph): Request-URI, To tag, From tag, Call-ID, CSeq and
  // the top Via.
  std::string_view request_uri, to_tag, from_tag, call_id, top_via;
  std::uint32_t cseq = 0;
};

// Builds the key of a request (server side) or of a response (client side: branch + CSeq method).
// For ACK the method is INVITE, so that a non-2xx ACK finds its INVITE transaction. Returns false
// if the top Via (or a header the RFC 2543 fallback needs) does not parse.
bool make_transaction_key(const Message& msg, TransactionKey& out) noexcept;

// Same transaction? Case-insensitive where RFC 3261 says so (host), exact for branch.
bool same_transaction(const TransactionKey& a, const TransactionKey& b) noexcept;

// Hash consistent with same_transaction, keyed with a secret made once per process (SipHash), so
// that keys chosen by a sender cannot be made to collide.
std::size_t hash_transaction_key(const TransactionKey& k) noexcept;
// The same hash for a client transaction's key (§17.1.3: branch and CSeq method only).
std::size_t hash_client_key(std::string_view branch, std::string_view method) noexcept;

}  // namespace duet::sip
