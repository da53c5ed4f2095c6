// Client transactions (RFC 3261 §17.1, RFC 6026 §7.2): sending a request, Timers A/B/D (INVITE) and
// E/F/K (non-INVITE), the ACK for a non-2xx final response, and matching responses (§17.1.3).
#include <algorithm>

#include "duet/sip/transaction_key.hpp"
#include "duet/transaction/message_build.hpp"
#include "duet/transaction/table.hpp"
#include "key_index.hpp"
#include "transaction.hpp"

namespace duet::transaction {

namespace {
StartResult refused(StartError e) {
  StartResult r;
  r.error = e;
  return r;
}
}  // namespace

StartResult TransactionTable::start_client(const Target& next_hop, std::string_view request,
                                           std::uint64_t context) {
  if (request.size() > opts_.max_message_bytes) return refused(StartError::too_large);
  sip::TransactionKey key;
  if (sip::parse(request, *scratch_).status != sip::ParseStatus::ok || !scratch_->is_request() ||
      !sip::make_transaction_key(*scratch_, key)) {
    return refused(StartError::bad_request);
  }
  return start_keyed(next_hop, scratch_->raw(), key, scratch_->method_id(), context);
}

StartResult TransactionTable::start_client(const Target& next_hop, std::string_view request,
                                           std::string_view branch, sip::Method method,
                                           std::uint64_t context) {
  if (request.size() > opts_.max_message_bytes) return refused(StartError::too_large);
  // The client index matches on the branch and the method only (§17.1.3).
  sip::TransactionKey key;
  // A request line (method SP Request-URI SP SIP/2.0), whose first token is the method.
  std::string_view line = request.substr(0, request.find('\n'));
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  const std::size_t sp =
      line.size() > 8 && line.substr(line.size() - 8) == " SIP/2.0" ? line.find(' ') : std::string_view::npos;
  const bool inside =
      branch.data() >= request.data() && branch.data() + branch.size() <= request.data() + request.size();
  if (sp == std::string_view::npos || sp == 0 || sp == line.size() - 8 || !inside ||
      sip::method_from_token(request.substr(0, sp)) != method) {
    return refused(StartError::bad_request);
  }
  key.rfc3261 = branch.size() > 7 && branch.substr(0, 7) == "z9hG4bK";
  key.branch = branch;
  key.method = method;
  key.method_text = request.substr(0, sp);
  return start_keyed(next_hop, request, key, method, context);
}

StartResult TransactionTable::start_keyed(const Target& next_hop, std::string_view request,
                                          const sip::TransactionKey& key, sip::Method method,
                                          std::uint64_t context) {
  std::size_t hash = 0;
  if (method == sip::Method::ack || !key.rfc3261 || match(*client_index_, key, &hash) != nullptr) {
    // ACK has no client transaction; a branch without the cookie, or one already in use, could
    // not be told apart from another transaction's responses.
    return refused(StartError::bad_request);
  }
  const bool invite = method == sip::Method::invite;
  Transaction* t = allocate(invite ? Kind::client_invite : Kind::client_non_invite, next_hop);
  if (!t) return refused(StartError::table_full);
  store(t->request, request);
  t->key = key;
  rebase_key(t->key, request, t->request);
  t->context = context;
  t->state = invite ? State::calling : State::trying;
  if (transport::dialled_conn(next_hop.conn_id)) on_dialled_[next_hop.conn_id].push_back(t->index);
  if (!send(*t, t->request)) {
    release(*t);  // the TU never saw this id: no callbacks
    return refused(StartError::send_failed);
  }
  ++stats_.client_created;
  client_index_->insert(*t, hash);
  const std::uint64_t now = clock_.now_ms();
  if (!t->reliable) {
    t->interval_ms = opts_.t1_ms;  // Timer A or E
    wheel_.schedule(t->retransmit, now + t->interval_ms);
  }
  wheel_.schedule(t->lifetime, now + std::uint64_t{64} * opts_.t1_ms);  // Timer B or F
  StartResult r;
  r.id = t->id();
  return r;
}

ClientResult TransactionTable::receive_response(const Target&, const sip::Message& rsp) {
  ClientResult r;
  sip::TransactionKey key;
  if (!rsp.is_response() || !sip::make_transaction_key(rsp, key)) return r;
  Transaction* t = match(*client_index_, key);
  if (!t) return r;
  r.id = t->id();
  r.context = t->context;
  r.event =
      t->kind == Kind::client_invite ? client_invite_response(*t, rsp) : client_non_invite_response(*t, rsp);
  if (r.event == ClientEvent::absorbed) ++stats_.retransmissions_absorbed;
  return r;
}

ClientEvent TransactionTable::client_invite_response(Transaction& t, const sip::Message& rsp) {
  const int status = rsp.status_code();
  const std::uint64_t now = clock_.now_ms();
  switch (t.state) {
    case State::calling:
    case State::proceeding:
      t.last_status = status;
      wheel_.cancel(t.retransmit);  // any response stops Timer A
      if (status < 200) {
        t.state = State::proceeding;
        // Timer B only guards Calling; the proxy's Timer C takes over. Each provisional pushes back
        // a safety net of our own so a branch nobody cancels still ends.
        wheel_.schedule(t.lifetime, now + opts_.unanswered_ms);
        return ClientEvent::to_tu;
      }
      if (status < 300) {
        if (opts_.rfc6026_accepted) {
          t.state = State::accepted;  // Timer M: later 2xx retransmissions still reach the TU
          keep_key_only(t, true);
          schedule_end(t, now, std::uint64_t{64} * opts_.t1_ms);
        } else {
          end(t);
        }
        return ClientEvent::to_tu;
      }
      // 300-699: the ACK is ours to send, hop by hop, and to resend for each retransmitted final.
      bytes_held_ -= t.response.capacity();
      t.response.clear();
      if (sip::parse(t.request, *scratch_).status == sip::ParseStatus::ok)
        build_ack(*scratch_, rsp, t.response);
      bytes_held_ += t.response.capacity();
      if (!t.response.empty() && !send(t, t.response)) ++stats_.transport_errors;
      t.state = State::completed;
      keep_key_only(t, false);                                  // the ACK stays, for each retransmitted final
      schedule_end(t, now, t.reliable ? 0 : opts_.timer_d_ms);  // Timer D
      return ClientEvent::to_tu;
    case State::completed:
      if (status >= 300 && !t.response.empty()) {
        ++stats_.retransmissions_sent;
        send(t, t.response);
      }
      return ClientEvent::absorbed;
    case State::accepted:
      return status >= 200 && status < 300 ? ClientEvent::to_tu : ClientEvent::absorbed;
    default:
      return ClientEvent::absorbed;
  }
}

ClientEvent TransactionTable::client_non_invite_response(Transaction& t, const sip::Message& rsp) {
  const int status = rsp.status_code();
  if (t.state != State::trying && t.state != State::proceeding) return ClientEvent::absorbed;
  t.last_status = status;
  if (status < 200) {
    t.state = State::proceeding;  // Timer E keeps running; from its next firing it is T2
    return ClientEvent::to_tu;
  }
  t.state = State::completed;
  wheel_.cancel(t.retransmit);
  keep_key_only(t, true);
  schedule_end(t, clock_.now_ms(), t.reliable ? 0 : opts_.t4_ms);  // Timer K
  return ClientEvent::to_tu;
}

std::size_t TransactionTable::connection_failed(std::uint64_t conn_id) {
  const auto found = on_dialled_.find(conn_id);
  if (found == on_dialled_.end()) return 0;
  // A copy: destroy() below takes each one out of the index, and the TU may start transactions
  // from its callback (on other connections: this one is gone).
  const std::vector<std::uint32_t> slots = found->second;
  std::size_t n = 0;
  for (const std::uint32_t i : slots) {
    Transaction* t = i < slots_.size() ? slots_[i].txn.get() : nullptr;
    if (t == nullptr || t->is_server() || t->target.conn_id != conn_id) continue;
    const bool waiting = t->kind == Kind::client_invite
                             ? t->state == State::calling || t->state == State::proceeding
                             : t->state == State::trying || t->state == State::proceeding;
    if (!waiting) continue;
    ++n;
    ++stats_.transport_errors;
    tu_.on_transport_error(t->id(), t->context);
    destroy(*t);
  }
  return n;
}

bool TransactionTable::build_cancel(TxnId client_invite, std::string& out) {
  Transaction* t = get(client_invite);
  if (!t || t->kind != Kind::client_invite || t->state == State::terminated || t->key_only) return false;
  return sip::parse(t->request, *scratch_).status == sip::ParseStatus::ok &&
         transaction::build_cancel(*scratch_, out);
}

void TransactionTable::client_retransmit_timer(Transaction& t) {
  const bool invite = t.kind == Kind::client_invite;
  if (invite ? t.state != State::calling : (t.state != State::trying && t.state != State::proceeding)) return;
  ++stats_.retransmissions_sent;
  if (!send(t, t.request)) {
    ++stats_.transport_errors;
    tu_.on_transport_error(t.id(), t.context);
    destroy(t);
    return;
  }
  if (invite) {
    t.interval_ms *= 2;  // Timer A doubles without a cap; Timer B ends it
  } else if (t.state == State::proceeding) {
    t.interval_ms = opts_.t2_ms;
  } else {
    t.interval_ms = std::min(t.interval_ms * 2, opts_.t2_ms);
  }
  wheel_.schedule(t.retransmit, clock_.now_ms() + t.interval_ms);
}

void TransactionTable::client_timeout_timer(Transaction& t) {
  // Timer B (Calling), F (Trying/Proceeding) and the INVITE Proceeding safety net: no final
  // response. D, K, M: the end of absorbing retransmissions.
  if (t.state == State::calling || t.state == State::trying || t.state == State::proceeding) {
    ++stats_.timeouts;
    tu_.on_timeout(t.id(), t.context);
  }
  destroy(t);
}

}  // namespace duet::transaction
