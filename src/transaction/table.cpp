// Lifecycle of transactions: slots, handles, storage accounting, timers and the end of life.
#include "duet/transaction/table.hpp"

#include "key_index.hpp"
#include "transaction.hpp"

namespace duet::transaction {

std::string_view state_name(State s) noexcept {
  switch (s) {
    case State::calling:
      return "Calling";
    case State::trying:
      return "Trying";
    case State::proceeding:
      return "Proceeding";
    case State::completed:
      return "Completed";
    case State::confirmed:
      return "Confirmed";
    case State::accepted:
      return "Accepted";
    case State::terminated:
      return "Terminated";
  }
  return "?";
}

std::string_view kind_name(Kind k) noexcept {
  switch (k) {
    case Kind::server_invite:
      return "server INVITE";
    case Kind::server_non_invite:
      return "server non-INVITE";
    case Kind::client_invite:
      return "client INVITE";
    case Kind::client_non_invite:
      return "client non-INVITE";
  }
  return "?";
}

void rebase_key(sip::TransactionKey& k, std::string_view from, std::string_view to) noexcept {
  const auto fix = [&](std::string_view& v) {
    if (v.empty()) return;
    if (v.data() >= from.data() && v.data() + v.size() <= from.data() + from.size()) {
      v = std::string_view(to.data() + (v.data() - from.data()), v.size());
    }
  };
  fix(k.branch);
  fix(k.sent_by_host);
  fix(k.method_text);
  fix(k.request_uri);
  fix(k.to_tag);
  fix(k.from_tag);
  fix(k.call_id);
  fix(k.top_via);
}

TransactionTable::TransactionTable(const Options& opts, Sender& sender, Clock& clock, TransactionUser& tu)
    : opts_(opts),
      sender_(sender),
      clock_(clock),
      tu_(tu),
      wheel_(clock.now_ms(), opts.tick_ms),
      server_index_(std::make_unique<KeyIndex>(KeyIndex::Mode::server, opts.max_transactions)),
      client_index_(std::make_unique<KeyIndex>(KeyIndex::Mode::client, opts.max_transactions)),
      scratch_(std::make_unique<sip::Message>()) {
  build_buf_.resize(opts_.max_message_bytes);
}

TransactionTable::~TransactionTable() {
  // The other workers' tables go on counting against the site's total.
  if (opts_.site_live != nullptr) opts_.site_live->fetch_sub(live_, std::memory_order_relaxed);
}

Transaction* TransactionTable::get(TxnId id) const noexcept {
  if (!id.valid() || id.index >= slots_.size()) return nullptr;
  const Slot& s = slots_[id.index];
  return s.txn && s.gen == id.gen ? s.txn.get() : nullptr;
}

Transaction* TransactionTable::allocate(Kind kind, const Target& target) {
  if (opts_.site_live != nullptr &&
      opts_.site_live->fetch_add(1, std::memory_order_relaxed) >= opts_.max_transactions) {
    opts_.site_live->fetch_sub(1, std::memory_order_relaxed);
    return nullptr;
  }
  std::uint32_t index;
  if (!free_.empty()) {
    index = free_.back();
    free_.pop_back();
  } else if (slots_.size() < opts_.max_transactions) {
    index = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  } else {
    if (opts_.site_live != nullptr) opts_.site_live->fetch_sub(1, std::memory_order_relaxed);
    return nullptr;
  }
  Slot& s = slots_[index];
  if (++s.gen == 0) s.gen = 1;  // generation 0 means "no transaction"
  s.txn = std::make_unique<Transaction>();
  Transaction& t = *s.txn;
  t.kind = kind;
  t.index = index;
  t.gen = s.gen;
  t.target.set(target);
  t.reliable = reliable(target);
  // Counted from the start (small-string capacity included) so that release() balances exactly.
  bytes_held_ += t.request.capacity() + t.response.capacity();
  ++live_;
  return &t;
}

void TransactionTable::store(std::string& dst, std::string_view bytes) {
  bytes_held_ -= dst.capacity();
  dst.assign(bytes);
  bytes_held_ += dst.capacity();
}

void TransactionTable::keep_key_only(Transaction& t, bool drop_response) {
  if (t.key_only) return;
  if (t.key.rfc3261) {
    // Matched on branch, sent-by and method alone (same_transaction): the rest need not stay.
    t.key.request_uri = t.key.to_tag = t.key.from_tag = t.key.call_id = t.key.top_via = {};
  }
  std::string_view* views[] = {&t.key.branch,      &t.key.sent_by_host, &t.key.method_text,
                               &t.key.request_uri, &t.key.to_tag,       &t.key.from_tag,
                               &t.key.call_id,     &t.key.top_via,      &t.sent_to_tag};
  const auto inside = [](std::string_view v, const std::string& s) {
    return v.data() >= s.data() && v.data() + v.size() <= s.data() + s.size();
  };
  // Views into what goes are copied, one after the other; those elsewhere (the literal "INVITE"
  // of an ACK's key, a To tag in a kept response) stay as they are.
  const auto goes = [&](std::string_view v) {
    return !v.empty() && (inside(v, t.request) || (drop_response && inside(v, t.response)));
  };
  std::size_t total = 0;
  for (const std::string_view* v : views) total += goes(*v) ? v->size() : 0;
  std::size_t offset[std::size(views)];
  std::string kept;
  kept.reserve(total);
  for (std::size_t i = 0; i < std::size(views); ++i) {
    offset[i] = std::string::npos;
    if (!goes(*views[i])) continue;
    offset[i] = kept.size();
    kept.append(*views[i]);
  }
  bytes_held_ -= t.request.capacity();
  t.request.swap(kept);      // the views are set after the swap: a short string lives inside t.request
  std::string().swap(kept);  // (assigning an empty string would keep the buffer)
  for (std::size_t i = 0; i < std::size(views); ++i) {
    if (offset[i] != std::string::npos)
      *views[i] = std::string_view(t.request.data() + offset[i], views[i]->size());
  }
  bytes_held_ += t.request.capacity();
  if (drop_response) {
    bytes_held_ -= t.response.capacity();
    std::string().swap(t.response);
    bytes_held_ += t.response.capacity();
  }
  t.key_only = true;
}

void TransactionTable::release(Transaction& t) {
  if (!t.is_server() && transport::dialled_conn(t.target.conn_id)) {
    const auto it = on_dialled_.find(t.target.conn_id);
    if (it != on_dialled_.end()) {
      auto& v = it->second;
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i] == t.index) {
          v[i] = v.back();
          v.pop_back();
          break;
        }
      }
      if (v.empty()) on_dialled_.erase(it);
    }
  }
  wheel_.cancel(t.retransmit);
  wheel_.cancel(t.lifetime);
  (t.is_server() ? server_index_ : client_index_)->erase(t);
  bytes_held_ -= t.request.capacity() + t.response.capacity();
  const std::uint32_t index = t.index;
  slots_[index].txn.reset();  // the memory goes back now, not when the slot is reused
  free_.push_back(index);
  --live_;
  if (opts_.site_live != nullptr) opts_.site_live->fetch_sub(1, std::memory_order_relaxed);
}

void TransactionTable::schedule_end(Transaction& t, std::uint64_t now, std::uint64_t delay) noexcept {
  t.ends_at_ms = delay == 0 ? 0 : now + delay;
  const std::uint64_t due = now + delay;
  const std::uint64_t g = opts_.end_grain_ms;
  wheel_.schedule(t.lifetime, delay == 0 || g <= 1 ? due : (due + g - 1) / g * g);
}

bool TransactionTable::past_end(const Transaction& t) const noexcept {
  return t.ends_at_ms != 0 && clock_.now_ms() >= t.ends_at_ms;
}

Transaction* TransactionTable::match(KeyIndex& index, const sip::TransactionKey& key, std::size_t* hash) {
  std::size_t h;
  Transaction* t = index.find(key, h);
  if (hash != nullptr) *hash = h;
  if (t != nullptr && past_end(*t)) {
    end(*t);  // out of the index now: a request with its key starts a transaction of its own
    return nullptr;
  }
  return t;
}

void TransactionTable::end(Transaction& t) {
  // Out of the index at once (nothing may match it any more); freed from run_timers() so that
  // whoever is on the stack can still read it.
  t.state = State::terminated;
  (t.is_server() ? server_index_ : client_index_)->erase(t);
  wheel_.cancel(t.retransmit);
  wheel_.schedule(t.lifetime, clock_.now_ms());
}

void TransactionTable::destroy(Transaction& t) {
  t.state = State::terminated;
  (t.is_server() ? server_index_ : client_index_)->erase(t);
  wheel_.cancel(t.retransmit);
  wheel_.cancel(t.lifetime);
  ++stats_.terminated;
  tu_.on_terminated(t.id(), t.context);
  release(t);
}

bool TransactionTable::send(Transaction& t, std::string_view bytes) {
  return sender_.send(t.target.get(), bytes);
}

std::size_t TransactionTable::run_timers(std::size_t budget) {
  return wheel_.advance(
      clock_.now_ms(), [this](TimerNode& n) { on_timer(n); }, budget);
}

void TransactionTable::on_timer(TimerNode& n) {
  TimerSlot& slot = static_cast<TimerSlot&>(n);
  Transaction& t = *slot.owner;
  if (t.state == State::terminated) {
    destroy(t);
    return;
  }
  const bool retransmit = &slot == &t.retransmit;
  if (t.is_server()) {
    retransmit ? server_retransmit_timer(t) : server_timeout_timer(t);
  } else {
    retransmit ? client_retransmit_timer(t) : client_timeout_timer(t);
  }
}

State TransactionTable::state(TxnId id) const noexcept {
  const Transaction* t = get(id);
  return t ? t->state : State::terminated;
}

Kind TransactionTable::kind(TxnId id) const noexcept {
  const Transaction* t = get(id);
  return t ? t->kind : Kind::server_non_invite;
}

int TransactionTable::last_status(TxnId id) const noexcept {
  const Transaction* t = get(id);
  return t ? t->last_status : 0;
}

std::string_view TransactionTable::request(TxnId id) const noexcept {
  const Transaction* t = get(id);
  return t && !t->key_only ? std::string_view(t->request) : std::string_view{};
}

bool TransactionTable::target(TxnId id, Target& out) const noexcept {
  const Transaction* t = get(id);
  if (t == nullptr) return false;
  out = t->target.get();
  return true;
}

void TransactionTable::set_context(TxnId id, std::uint64_t context) noexcept {
  if (Transaction* t = get(id)) t->context = context;
}

std::uint64_t TransactionTable::context(TxnId id) const noexcept {
  const Transaction* t = get(id);
  return t ? t->context : 0;
}

}  // namespace duet::transaction
