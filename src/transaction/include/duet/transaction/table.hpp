// The RFC 3261 §17 transaction layer of one worker loop: server and client transactions for INVITE
// and non-INVITE, matched per §17.1.3 / §17.2.3, retransmitted and timed out on one timer wheel.
//
// Single-threaded by design (one table per worker, no locks). Time comes from the Clock; timers
// fire only in run_timers(), which the owner calls every tick. Transactions are destroyed only from
// run_timers() (a zero-length timer such as Timer J on TCP fires at the next tick), so no call of
// this class ever ends a transaction under its caller's feet.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "duet/sip/message.hpp"
#include "duet/sip/transaction_key.hpp"
#include "duet/sip/writer.hpp"
#include "duet/transaction/options.hpp"
#include "duet/transaction/timer_wheel.hpp"
#include "duet/transaction/types.hpp"

namespace duet::transaction {

struct Transaction;  // transaction.hpp (private)
class KeyIndex;      // key_index.hpp (private)

enum class ServerEvent : std::uint8_t {
  new_request,     // a new server transaction: the TU handles the request (respond() on id)
  retransmission,  // absorbed; the last response was sent again if there was one
  ack_absorbed,    // ACK for a non-2xx final response: ends the transaction's Completed state
  ack_to_tu,       // ACK for a 2xx (or matching nothing): the TU forwards it end to end
  refused,         // answered statelessly (503 table full, 513 too large); no transaction
  invalid,         // no usable top Via: the caller may answer 400
};

struct ServerResult {
  ServerEvent event = ServerEvent::invalid;
  TxnId id;             // the transaction (new, or the one matched)
  TxnId cancel_target;  // for a new CANCEL: the INVITE server transaction it cancels, if any
  std::uint64_t context = 0;
  int status = 0;  // refused: status sent
};

enum class ClientEvent : std::uint8_t {
  to_tu,     // pass the response to the TU (provisional, final, 2xx retransmission in Accepted)
  absorbed,  // a retransmitted final response (for INVITE the ACK was sent again)
  no_match,  // no client transaction: a proxy forwards it statelessly (§16.7 / §18.1.2)
};

struct ClientResult {
  ClientEvent event = ClientEvent::no_match;
  TxnId id;
  std::uint64_t context = 0;  // valid even when the transaction has just ended
};

enum class StartError : std::uint8_t { none, table_full, too_large, bad_request, send_failed };

struct StartResult {
  TxnId id;
  StartError error = StartError::none;
};

struct TableStats {
  std::uint64_t server_created = 0, client_created = 0;
  std::uint64_t retransmissions_absorbed = 0;  // requests (server) and final responses (client)
  std::uint64_t retransmissions_sent = 0;      // timer A/E/G resends and responses re-sent on request
  std::uint64_t acks_absorbed = 0;
  std::uint64_t refused_full = 0, refused_too_large = 0, invalid = 0;
  std::uint64_t timeouts = 0, transport_errors = 0, terminated = 0;
};

class TransactionTable {
 public:
  TransactionTable(const Options& opts, Sender& sender, Clock& clock, TransactionUser& tu);
  ~TransactionTable();  // drops every live transaction without calling the TU
  TransactionTable(const TransactionTable&) = delete;
  TransactionTable& operator=(const TransactionTable&) = delete;

  // ---- Server side (§17.2) ----
  // A request received from src. via_fix is the received/rport learnt from the source
  // (§18.2.1); it goes into the responses this layer builds (100, 487, 503, respond_with()).
  ServerResult receive_request(const Target& src, const sip::Message& req,
                               const sip::ResponseViaFix& via_fix = {});
  // The TU's response (bytes of a complete response with the given status). False if refused:
  // no such transaction, wrong state, too large, or the send failed (then the transaction ends).
  bool respond(TxnId id, int status, std::string_view bytes);
  // Builds a response from the stored request (Via with via_fix, From, To + to_tag, Call-ID,
  // CSeq, Content-Length: 0) and sends it through respond().
  bool respond_with(TxnId id, int status, std::string_view reason, std::string_view to_tag = {});
  // The 487 that ends an INVITE server transaction after a CANCEL (§9.2); false unless it is an
  // INVITE still in Proceeding.
  bool respond_487(TxnId invite, std::string_view to_tag = {}) {
    return respond_with(invite, 487, "Request Terminated", to_tag);
  }
  // The INVITE server transaction a CANCEL targets (same key with method INVITE, §9.2).
  TxnId find_invite_for_cancel(const sip::Message& cancel) const;

  // ---- Client side (§17.1) ----
  // Sends request (complete bytes; its top Via must carry an RFC 3261 branch unique to this
  // transaction) to next_hop and starts retransmitting/timing it. ACK is refused: it has no
  // transaction (a non-2xx ACK is built here, a 2xx ACK is the TU's).
  StartResult start_client(const Target& next_hop, std::string_view request, std::uint64_t context = 0);
  // The same for a request whose top Via its caller wrote (a proxy forwarding what it parsed), so
  // nothing is parsed again here: branch is that Via's branch, a view into request, and method
  // the method request starts with. A branch outside request or without the RFC 3261 cookie, or
  // a request that does not start with its method and a space, is refused (bad_request).
  StartResult start_client(const Target& next_hop, std::string_view request, std::string_view branch,
                           sip::Method method, std::uint64_t context);
  ClientResult receive_response(const Target& src, const sip::Message& rsp);
  // A CANCEL for a client INVITE transaction (§9.1: same Request-URI, Call-ID, From, To, CSeq
  // number, top Via and Route), appended to out. False if id is not a live client INVITE.
  bool build_cancel(TxnId client_invite, std::string& out);

  // A connection the requests of client transactions went out on failed before it was up
  // (transport::Handler::on_connection_failed): each of them still waiting for a final response
  // ends with a transport error (§17.1.4, the TU's on_transport_error). Returns how many.
  std::size_t connection_failed(std::uint64_t conn_id);

  // ---- Timers ----
  // Fires what is due by clock.now_ms(), at most budget timers. Returns the number fired.
  std::size_t run_timers(std::size_t budget = static_cast<std::size_t>(-1));

  // ---- Inspection ----
  bool alive(TxnId id) const noexcept { return get(id) != nullptr; }
  State state(TxnId id) const noexcept;  // terminated for a stale handle
  Kind kind(TxnId id) const noexcept;
  int last_status(TxnId id) const noexcept;  // last response sent (server) or received (client)
  // The stored request, until a final response ends the transaction's use of it (then empty: only
  // its matching key is kept, see keep_key_only).
  std::string_view request(TxnId id) const noexcept;
  bool target(TxnId id, Target& out) const noexcept;  // false for a stale handle
  void set_context(TxnId id, std::uint64_t context) noexcept;
  std::uint64_t context(TxnId id) const noexcept;

  std::size_t size() const noexcept { return live_; }
  std::size_t timers_pending() const noexcept { return wheel_.size(); }
  // When run_timers() has work next (a lower bound; TimerWheel::kNever if no timer is pending),
  // and the earliest due time scheduled since reset_timer_hint(): the owner sleeps until the
  // first and sets its wake-up again when the second comes before it.
  std::uint64_t next_timer_ms() const noexcept { return wheel_.next_advance_ms(); }
  std::uint64_t timer_hint_ms() const noexcept { return wheel_.earliest_scheduled_ms(); }
  void reset_timer_hint() noexcept { wheel_.reset_earliest_scheduled(); }
  // Bytes of stored requests/responses held by live transactions (capacity, not length).
  std::size_t bytes_held() const noexcept { return bytes_held_; }
  const TableStats& stats() const noexcept { return stats_; }
  const Options& options() const noexcept { return opts_; }

 private:
  // start_client once the key is known (request: the bytes to store and send; method: its own,
  // which for ACK is not the key's).
  StartResult start_keyed(const Target& next_hop, std::string_view request, const sip::TransactionKey& key,
                          sip::Method method, std::uint64_t context);
  // Starts an end-of-wait timer (D, I, J, K, L, M) of delay ms: the transaction stops matching at
  // now + delay exactly (ends_at_ms, checked by match()) and is freed when the timer fires, at that
  // time rounded up to Options::end_grain_ms, so that a second's transactions go at one wake-up. A
  // zero delay (reliable transports) ends it at the next tick.
  void schedule_end(Transaction& t, std::uint64_t now, std::uint64_t delay) noexcept;
  // The transaction of key in index, or nullptr; one whose end-of-wait time has passed is ended
  // here (as its timer would have) and not returned. hash: the key's hash, for an insert after it.
  Transaction* match(KeyIndex& index, const sip::TransactionKey& key, std::size_t* hash = nullptr);
  bool past_end(const Transaction& t) const noexcept;
  Transaction* get(TxnId id) const noexcept;
  Transaction* allocate(Kind kind, const Target& target);
  void store(std::string& dst, std::string_view bytes);  // keeps bytes_held_ right
  // From a final response on, a transaction only waits out its end (Timers D, I, J, K, L, M, up to
  // 64*T1 = 32 s over UDP), matching retransmissions by its key and answering them, if at all, from
  // its stored response. The request goes, but for the bytes of its key (and the RFC 2543 To tag),
  // as does the response when drop_response (nothing will be re-sent from it): under call load
  // those waiting transactions are most of the live ones, and their full copies were most of the
  // proxy's memory and of the pages it had to fault in.
  void keep_key_only(Transaction& t, bool drop_response);
  void release(Transaction& t);  // frees the slot (no callbacks)
  void end(Transaction& t);      // terminated now, destroyed at the next tick
  void destroy(Transaction& t);  // on_terminated, then release
  void on_timer(TimerNode& n);
  bool send(Transaction& t, std::string_view bytes);

  // Server side (server_transaction.cpp).
  ServerResult absorb_request(Transaction& t);
  ServerResult absorb_ack(Transaction& t, const sip::TransactionKey& ack);
  void server_retransmit_timer(Transaction& t);
  void server_timeout_timer(Transaction& t);
  ServerResult refuse_stateless(const Target& src, const sip::Message& req, const sip::ResponseViaFix& fix,
                                int status, std::string_view reason);

  // Client side (client_transaction.cpp).
  ClientEvent client_invite_response(Transaction& t, const sip::Message& rsp);
  ClientEvent client_non_invite_response(Transaction& t, const sip::Message& rsp);
  void client_retransmit_timer(Transaction& t);
  void client_timeout_timer(Transaction& t);

  Options opts_;
  Sender& sender_;
  Clock& clock_;
  TransactionUser& tu_;
  TimerWheel wheel_;
  std::unique_ptr<KeyIndex> server_index_, client_index_;
  struct Slot {
    std::unique_ptr<Transaction> txn;
    std::uint32_t gen = 0;
  };
  std::vector<Slot> slots_;          // grows up to max_transactions, never beyond
  std::vector<std::uint32_t> free_;  // reusable slot indexes
  // Client transactions sent on connections we opened (transport::dialled_conn), by connection:
  // connection_failed() looks only at these.
  std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> on_dialled_;
  std::size_t live_ = 0;
  std::size_t bytes_held_ = 0;
  std::unique_ptr<sip::Message> scratch_;  // re-parses stored requests (ACK, CANCEL, 487)
  std::string build_buf_;                  // responses built here (max_message_bytes)
  TableStats stats_;
};

}  // namespace duet::transaction
