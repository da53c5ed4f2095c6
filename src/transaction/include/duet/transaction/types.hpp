// What the transaction layer exchanges with the code around it: where bytes go (Sender), what time
// it is (Clock) and what the transaction user is told later (TransactionUser). Abstract so that the
// layer runs in tests without sockets or an event loop.
#pragma once

#include <cstdint>
#include <string_view>

#include "duet/transport/source.hpp"

namespace duet::transaction {

// Where a message goes: the request's source for a server transaction (responses go back on the same
// flow), the next hop for a client transaction. Reliable means proto != udp (no retransmissions).
using Target = transport::Source;

inline bool reliable(const Target& t) noexcept {
  return t.proto != transport::Proto::udp;
}

class Sender {
 public:
  virtual ~Sender() = default;
  // False when it certainly failed (§17.1.4 / §17.2.4: the transaction reports a transport error).
  virtual bool send(const Target& to, std::string_view bytes) = 0;
};

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::uint64_t now_ms() const = 0;  // monotonic
};

// A transaction handle: stale handles (the transaction is gone, its slot reused) are detected by the
// generation, so the TU may keep one without dangling.
struct TxnId {
  std::uint32_t index = 0;
  std::uint32_t gen = 0;  // 0: no transaction
  bool valid() const noexcept { return gen != 0; }
  friend bool operator==(const TxnId&, const TxnId&) = default;
};

enum class Kind : std::uint8_t { server_invite, server_non_invite, client_invite, client_non_invite };

enum class State : std::uint8_t { calling, trying, proceeding, completed, confirmed, accepted, terminated };

std::string_view state_name(State s) noexcept;
std::string_view kind_name(Kind k) noexcept;

// Events that happen later than the call that caused them (timers, retransmission failures). What a
// received message does is returned by receive_request()/receive_response() instead: the caller has
// the message in hand at that point, and a return value cannot re-enter the caller.
class TransactionUser {
 public:
  virtual ~TransactionUser() = default;
  // Client: Timer B/F fired without a final response (the TU acts as if it got a 408, §17.1.1.2).
  // Server: Timer H fired without an ACK, or the TU left the request unanswered for
  // Options::unanswered_ms (it may still respond() from inside this call).
  virtual void on_timeout(TxnId id, std::uint64_t context) = 0;
  // A retransmission could not be sent (§17.1.4, §17.2.4); the transaction ends.
  virtual void on_transport_error(TxnId id, std::uint64_t context) = 0;
  // Last word on id; afterwards the handle is stale.
  virtual void on_terminated(TxnId id, std::uint64_t context) = 0;
};

}  // namespace duet::transaction
