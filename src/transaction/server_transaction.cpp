// Server transactions (RFC 3261 §17.2, RFC 6026 §7.1): matching received requests, absorbing
// retransmissions, the TU's responses and the server timers G, H, I, J, L.
#include <algorithm>
#include <functional>

#include "duet/sip/transaction_key.hpp"
#include "duet/transaction/table.hpp"
#include "key_index.hpp"
#include "transaction.hpp"

namespace duet::transaction {
namespace {

sip::ResponseViaFix fix_of(const Transaction& t) noexcept {
  return {std::string_view(t.received, t.received_len), t.rport};
}

}  // namespace

ServerResult TransactionTable::receive_request(const Target& src, const sip::Message& req,
                                               const sip::ResponseViaFix& via_fix) {
  ServerResult r;
  sip::TransactionKey key;
  if (!req.is_request() || !sip::make_transaction_key(req, key)) {
    ++stats_.invalid;
    return r;
  }
  const bool is_ack = req.method_id() == sip::Method::ack;
  std::size_t hash;
  if (Transaction* t = match(*server_index_, key, &hash)) {
    return is_ack ? absorb_ack(*t, key) : absorb_request(*t);
  }
  if (is_ack) {  // ACK for a 2xx (its own branch, §17.1.1.3) or a stray: never a transaction
    r.event = ServerEvent::ack_to_tu;
    return r;
  }
  if (req.raw().size() > opts_.max_message_bytes) {
    ++stats_.refused_too_large;
    return refuse_stateless(src, req, via_fix, 513, "Message Too Large");
  }
  const bool invite = req.method_id() == sip::Method::invite;
  Transaction* t = allocate(invite ? Kind::server_invite : Kind::server_non_invite, src);
  if (!t) {
    ++stats_.refused_full;
    return refuse_stateless(src, req, via_fix, 503, "Service Unavailable");
  }
  ++stats_.server_created;
  store(t->request, req.raw());
  t->key = key;
  rebase_key(t->key, req.raw(), t->request);
  if (via_fix.received.size() < sizeof t->received) {
    std::copy(via_fix.received.begin(), via_fix.received.end(), t->received);
    t->received_len = static_cast<std::uint8_t>(via_fix.received.size());
  }
  t->rport = via_fix.rport;
  server_index_->insert(*t, hash);

  const std::uint64_t now = clock_.now_ms();
  t->state = invite ? State::proceeding : State::trying;
  if (invite && opts_.send_trying) {
    // Built now, while the request is parsed; sent now or when its delay expires (§17.2.1).
    sip::ResponseBuilder rb(build_buf_.data(), build_buf_.size());
    rb.start(req, 100, "Trying", {}, via_fix);
    store(t->response, rb.finish());
    if (opts_.trying_delay_ms == 0) {
      t->last_status = 100;
      send(*t, t->response);  // a lost 100 is harmless: the INVITE is retransmitted and answered
    } else {
      t->trying_pending = true;
      wheel_.schedule(t->retransmit, now + opts_.trying_delay_ms);
    }
  }
  wheel_.schedule(t->lifetime, now + opts_.unanswered_ms);

  r.event = ServerEvent::new_request;
  r.id = t->id();
  if (req.method_id() == sip::Method::cancel) r.cancel_target = find_invite_for_cancel(req);
  return r;
}

ServerResult TransactionTable::absorb_request(Transaction& t) {
  ++stats_.retransmissions_absorbed;
  ServerResult r{ServerEvent::retransmission, t.id(), {}, t.context, 0};
  bool resend = false;
  if (t.kind == Kind::server_invite) {
    if (t.state == State::proceeding && t.trying_pending) {
      // The client is already retransmitting: the delayed 100 is overdue.
      wheel_.cancel(t.retransmit);
      t.trying_pending = false;
      t.last_status = 100;
      resend = true;
    } else {
      // Confirmed and Accepted absorb silently (RFC 6026 §7.1: the 2xx is the TU's to resend).
      resend = (t.state == State::proceeding || t.state == State::completed) && !t.response.empty();
    }
  } else {
    // Trying: nothing to send yet (§17.2.2).
    resend = t.state == State::proceeding || t.state == State::completed;
  }
  if (resend) {
    ++stats_.retransmissions_sent;
    send(t, t.response);
  }
  return r;
}

ServerResult TransactionTable::absorb_ack(Transaction& t, const sip::TransactionKey& ack) {
  ServerResult r{ServerEvent::ack_to_tu, {}, {}, 0, 0};
  // RFC 2543 keys ignore the To tag; the ACK is ours only if it acknowledges our tag (§17.2.3).
  if (!t.key.rfc3261 && ack.to_tag != t.sent_to_tag) return r;
  r.id = t.id();
  r.context = t.context;
  switch (t.state) {
    case State::completed:
      // Timer G stops, Timer H is replaced by Timer I (T4, or 0 on a reliable transport).
      t.state = State::confirmed;
      wheel_.cancel(t.retransmit);
      schedule_end(t, clock_.now_ms(), t.reliable ? 0 : opts_.t4_ms);
      [[fallthrough]];
    case State::confirmed:
    case State::proceeding:  // an ACK before any final response acknowledges nothing
      ++stats_.acks_absorbed;
      r.event = ServerEvent::ack_absorbed;
      return r;
    default:  // Accepted: the ACK for the 2xx belongs to the TU (RFC 6026 §7.1)
      return r;
  }
}

bool TransactionTable::respond(TxnId id, int status, std::string_view bytes) {
  Transaction* t = get(id);
  if (!t || !t->is_server() || status < 100 || status > 699 || bytes.size() > opts_.max_message_bytes) {
    return false;
  }
  const bool final = status >= 200;
  if (t->kind == Kind::server_invite) {
    if (t->state == State::accepted) {
      // 2xx retransmissions from the TU go straight through (RFC 6026 §7.1); nothing else may.
      return status < 300 && final && send(*t, bytes);
    }
    if (t->state != State::proceeding) return false;
  } else if (t->state != State::trying && t->state != State::proceeding) {
    return false;
  }

  store(t->response, bytes);
  t->last_status = status;
  if (t->trying_pending) {
    wheel_.cancel(t->retransmit);
    t->trying_pending = false;
  }
  if (!t->key.rfc3261 && status > 100) {
    // Remember our To tag for RFC 2543 ACK matching; the view points into t->response.
    t->sent_to_tag = {};
    if (sip::parse(t->response, *scratch_).status == sip::ParseStatus::ok)
      t->sent_to_tag = scratch_->to().tag;
  }
  if (!send(*t, t->response)) {
    ++stats_.transport_errors;
    end(*t);
    return false;
  }

  const std::uint64_t now = clock_.now_ms();
  const std::uint64_t t64 = std::uint64_t{64} * opts_.t1_ms;
  if (!final) {
    if (t->kind == Kind::server_non_invite) t->state = State::proceeding;
    // A provisional response (a phone ringing) pushes the unanswered safety net back, as each one
    // restarts a proxy's Timer C (§16.7 step 2): a call may ring as long as its branches do.
    if (status > 100) wheel_.schedule(t->lifetime, now + opts_.unanswered_ms);
    return true;
  }
  if (t->kind == Kind::server_non_invite) {
    t->state = State::completed;  // Timer J absorbs request retransmissions
    keep_key_only(*t, false);     // each gets the stored response again
    schedule_end(*t, now, t->reliable ? 0 : t64);
  } else if (status < 300) {
    if (opts_.rfc6026_accepted) {
      t->state = State::accepted;  // Timer L
      keep_key_only(*t, true);     // retransmissions are absorbed silently; 2xx resends are the TU's
      schedule_end(*t, now, t64);
    } else {
      end(*t);  // RFC 3261: the 2xx ends the server transaction
    }
  } else {
    t->state = State::completed;
    keep_key_only(*t, false);  // Timer G resends the response until the ACK
    if (!t->reliable) {
      t->interval_ms = opts_.t1_ms;  // Timer G
      wheel_.schedule(t->retransmit, now + t->interval_ms);
    }
    wheel_.schedule(t->lifetime, now + t64);  // Timer H
  }
  return true;
}

bool TransactionTable::respond_with(TxnId id, int status, std::string_view reason, std::string_view to_tag) {
  Transaction* t = get(id);
  if (!t || !t->is_server() || t->key_only) return false;
  if (sip::parse(t->request, *scratch_).status != sip::ParseStatus::ok) return false;
  sip::ResponseBuilder rb(build_buf_.data(), build_buf_.size());
  rb.start(*scratch_, status, reason, to_tag, fix_of(*t));
  const std::string_view bytes = rb.finish();
  return !bytes.empty() && respond(id, status, bytes);
}

TxnId TransactionTable::find_invite_for_cancel(const sip::Message& cancel) const {
  sip::TransactionKey key;
  if (!cancel.is_request() || cancel.method_id() != sip::Method::cancel ||
      !sip::make_transaction_key(cancel, key)) {
    return {};
  }
  // §9.2: the CANCEL carries the INVITE's branch (or, RFC 2543, its Request-URI, tags, Call-ID,
  // CSeq number and top Via); only the method differs.
  key.method = sip::Method::invite;
  key.method_text = "INVITE";
  const Transaction* t = server_index_->find(key);
  return t && t->kind == Kind::server_invite && !past_end(*t) ? t->id() : TxnId{};
}

ServerResult TransactionTable::refuse_stateless(const Target& src, const sip::Message& req,
                                                const sip::ResponseViaFix& fix, int status,
                                                std::string_view reason) {
  // A To tag of our own (§8.2.6.2), stable for retransmissions of the same request.
  char tag[17];
  std::size_t h = std::hash<std::string_view>{}(req.call_id()) ^ req.cseq_number();
  for (int i = 15; i >= 0; --i, h >>= 4) tag[i] = "0123456789abcdef"[h & 15];
  sip::ResponseBuilder rb(build_buf_.data(), build_buf_.size());
  rb.start(req, status, reason, std::string_view(tag, 16), fix);
  if (status == 503) rb.header_uint("Retry-After", opts_.retry_after_s);
  const std::string_view bytes = rb.finish();
  if (!bytes.empty()) sender_.send(src, bytes);
  ServerResult r;
  r.event = ServerEvent::refused;
  r.status = status;
  return r;
}

void TransactionTable::server_retransmit_timer(Transaction& t) {
  if (t.kind != Kind::server_invite) return;
  if (t.state == State::proceeding && t.trying_pending) {
    t.trying_pending = false;
    t.last_status = 100;
    send(t, t.response);
    return;
  }
  if (t.state != State::completed) return;
  // Timer G: resend the final response, doubling up to T2 (§17.2.1).
  ++stats_.retransmissions_sent;
  if (!send(t, t.response)) {
    ++stats_.transport_errors;
    tu_.on_transport_error(t.id(), t.context);
    destroy(t);
    return;
  }
  t.interval_ms = std::min(t.interval_ms * 2, opts_.t2_ms);
  wheel_.schedule(t.retransmit, clock_.now_ms() + t.interval_ms);
}

void TransactionTable::server_timeout_timer(Transaction& t) {
  if (t.state == State::proceeding || t.state == State::trying) {
    // Unanswered for unanswered_ms: the TU gets one chance to answer.
    ++stats_.timeouts;
    tu_.on_timeout(t.id(), t.context);
    if (t.state == State::proceeding || t.state == State::trying) destroy(t);
    return;
  }
  if (t.kind == Kind::server_invite && t.state == State::completed) {
    ++stats_.timeouts;  // Timer H: no ACK ever came
    tu_.on_timeout(t.id(), t.context);
  }
  destroy(t);  // Timers H, I, J, L
}

}  // namespace duet::transaction
