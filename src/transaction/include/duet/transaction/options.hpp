// Timer values (RFC 3261 §17, Table 4; RFC 6026 §8.4) and the memory bounds of one transaction table.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace duet::transaction {

struct Options {
  // T1: RTT estimate; T2: cap on non-INVITE and final-response retransmit intervals; T4: how long
  // a message may linger in the network. Timers B, F, H, J, L, M are 64*T1.
  std::uint32_t t1_ms = 500;
  std::uint32_t t2_ms = 4000;
  std::uint32_t t4_ms = 5000;
  // Timer D (client INVITE Completed, unreliable): "at least 32 s" (§17.1.1.2).
  std::uint32_t timer_d_ms = 32000;
  // 100 Trying for a new INVITE: sent at once (delay 0) or only if the TU has not answered within
  // the delay (§17.2.1 allows either: the 200 ms rule saves a datagram when the TU answers fast).
  bool send_trying = true;
  std::uint32_t trying_delay_ms = 0;
  // A server transaction the TU never answers, or a client INVITE in Proceeding nobody cancels,
  // would otherwise live forever; past this (from the request, or from the last provisional
  // response for a client INVITE) the TU is told (on_timeout) and the transaction is dropped
  // unless the TU answered from inside the callback. Longer than the proxy's Timer C (> 3 min,
  // §16.6 step 11) so that it is only a safety net.
  std::uint32_t unanswered_ms = 240000;
  // RFC 6026: keep INVITE transactions in Accepted after a 2xx (absorbs INVITE retransmissions
  // on the server side, passes 2xx retransmissions to the TU on the client side).
  bool rfc6026_accepted = true;

  // Wheel resolution: timers fire at most one tick late.
  std::uint32_t tick_ms = 10;
  // The timers that only end a transaction's wait (D, I, J, K, L, M) free it at their time
  // rounded up to a multiple of this, so that the transactions of a busy second go together, at
  // one wake-up of the worker, instead of one every tick (measured: at 500 calls/s a worker
  // otherwise woke 100 times a second for them alone). What the peers see keeps the RFC's value:
  // from the exact end time the transaction matches nothing (Transaction::ends_at_ms).
  // 0 or 1: not rounded. Retransmission timers (A, E, G) and B, F, H keep the tick's precision.
  std::uint32_t end_grain_ms = 1000;
  // Live transactions (server + client). A new request beyond it gets 503 statelessly.
  std::size_t max_transactions = 65536;
  // When set, shared by the tables of every worker: their live transactions together, held to
  // max_transactions as well (so that the memory a flood can take does not grow with the number
  // of workers, while one worker may still take them all when every request lands on it). One
  // relaxed atomic, touched when a transaction is created and when it is freed.
  std::atomic<std::size_t>* site_live = nullptr;
  // Each transaction keeps a copy of its request and of the last response (or ACK) it sent;
  // longer messages are refused (513 for a request, false from respond()/start_client()).
  std::size_t max_message_bytes = 16384;
  // Retry-After on the 503 sent when the table is full.
  std::uint32_t retry_after_s = 5;
};

}  // namespace duet::transaction
