// One transaction's state (private to the library). Fixed size apart from the two stored messages,
// which are capped by Options::max_message_bytes, so memory per transaction is bounded.
#pragma once

#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "duet/sip/transaction_key.hpp"
#include "duet/transaction/timer_wheel.hpp"
#include "duet/transaction/types.hpp"

namespace duet::transaction {

struct Transaction;

// A wheel node that knows its transaction (the wheel hands back bare nodes).
struct TimerSlot : TimerNode {
  Transaction* owner = nullptr;
};

// Where a transaction's messages go, in 72 bytes rather than a Target's 280 (two sockaddr_storage):
// duet's addresses are IPv4 or IPv6, which a sockaddr_in6 holds. Under call load a table holds
// tens of thousands of transactions, most waiting out their timers: their size is the memory the
// proxy touches and faults in.
struct StoredTarget {
  static_assert(sizeof(sockaddr_in6) >= sizeof(sockaddr_in));
  unsigned char peer[sizeof(sockaddr_in6)] = {};
  unsigned char local[sizeof(sockaddr_in6)] = {};
  std::uint64_t conn_id = 0;
  std::uint16_t worker = 0;
  transport::Proto proto = transport::Proto::udp;

  void set(const Target& t) noexcept {
    std::memcpy(peer, &t.peer, sizeof peer);
    std::memcpy(local, &t.local, sizeof local);
    conn_id = t.conn_id;
    worker = t.worker;
    proto = t.proto;
  }
  Target get() const noexcept {
    Target t;  // value-initialised: the bytes past a sockaddr_in6 are zero, as they were
    std::memcpy(&t.peer, peer, sizeof peer);
    std::memcpy(&t.local, local, sizeof local);
    t.conn_id = conn_id;
    t.worker = worker;
    t.proto = proto;
    return t;
  }
};

struct Transaction {
  Kind kind = Kind::server_non_invite;
  State state = State::trying;
  bool reliable = false;
  bool indexed = false;         // in its KeyIndex (left as soon as it ends, so nothing matches it)
  bool trying_pending = false;  // server INVITE: the 100 is built but waits for its delay
  bool key_only = false;        // request holds only the key's bytes (TransactionTable::keep_key_only)
  std::uint32_t index = 0, gen = 0;
  StoredTarget target;  // server: where responses go; client: next hop
  // The request as received/sent: the key's views point into it, and ACK/CANCEL/487 are built
  // from it. A heap object that never moves, so the views stay valid. Once the transaction has a
  // final response, only the key's bytes (key_only).
  std::string request;
  // Server: last response sent (what a retransmitted request gets). Client INVITE: the ACK sent
  // for a non-2xx final (what a retransmitted final gets).
  std::string response;
  int last_status = 0;
  sip::TransactionKey key;
  // RFC 2543 peers: an ACK matches only if its To tag is the one our final response carried.
  std::string_view sent_to_tag;
  // Server responses built by this layer reuse the source's received/rport (§18.2.1).
  char received[48] = {};
  std::uint8_t received_len = 0;
  std::uint32_t rport = 0;
  std::uint32_t interval_ms = 0;  // current retransmission interval (Timers A, E, G)
  // When an end-of-wait timer (D, I, J, K, L, M) runs out, to the millisecond: from then on the
  // transaction matches nothing, though its memory goes only at the rounded timer (end_grain_ms).
  // 0: not waiting to end.
  std::uint64_t ends_at_ms = 0;
  // Two timers cover every state: retransmit (A, E, G, delayed 100) and lifetime (B, D, F, H, I, J,
  // K, L, M and the end-of-life tick). Rescheduling a node replaces its deadline, so a timer
  // cannot fire twice.
  TimerSlot retransmit, lifetime;
  std::uint64_t context = 0;
  Transaction* hash_next = nullptr;
  std::size_t key_hash = 0;  // set by KeyIndex::insert: erasing and growing need not re-read the key

  Transaction() {
    retransmit.owner = this;
    lifetime.owner = this;
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  bool is_server() const noexcept { return kind == Kind::server_invite || kind == Kind::server_non_invite; }
  bool is_invite() const noexcept { return kind == Kind::server_invite || kind == Kind::client_invite; }
  TxnId id() const noexcept { return {index, gen}; }
};

// Rewrites the key's views from the parsed message's buffer to the stored copy (views outside the
// buffer, such as the literal "INVITE" for ACK, stay as they are).
void rebase_key(sip::TransactionKey& k, std::string_view from, std::string_view to) noexcept;

}  // namespace duet::transaction
