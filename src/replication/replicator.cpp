#include "duet/replication/replicator.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>
#include <stdexcept>

namespace duet::replication {
namespace {

bool make_addr(const std::string& ip, std::uint16_t port, sockaddr_storage& out) {
  if (uv_ip4_addr(ip.c_str(), port, reinterpret_cast<sockaddr_in*>(&out)) == 0) return true;
  return uv_ip6_addr(ip.c_str(), port, reinterpret_cast<sockaddr_in6*>(&out)) == 0;
}

std::uint64_t random_node_id() {
  std::random_device rd;
  const std::uint64_t r = (static_cast<std::uint64_t>(rd()) << 32) ^ rd() ^ wall_ms();
  return r == 0 ? 1 : r;
}

constexpr std::size_t kMaxWriteQueue = 32u << 20;

}  // namespace

std::string_view link_state_name(LinkState s) noexcept {
  switch (s) {
    case LinkState::disabled:
      return "disabled";
    case LinkState::connecting:
      return "connecting";
    case LinkState::syncing:
      return "syncing";
    case LinkState::up:
      return "up";
    case LinkState::down:
      return "down";
  }
  return "unknown";
}

Replicator::Replicator(uv_loop_t* loop, PeerOptions opt, RemoteSink& sink, std::uint64_t node_id)
    : loop_(loop),
      opt_(std::move(opt)),
      sink_(sink),
      node_id_(node_id != 0 ? node_id : random_node_id()),
      store_(opt_.site, opt_.log_capacity),
      alive_(std::make_shared<bool>(true)) {
  if (opt_.site.empty() || opt_.site.size() > 255) throw std::invalid_argument("site name: 1..255 bytes");
  if (opt_.peer_site == opt_.site) throw std::invalid_argument("peer site name equals ours");
  counters_.peer_site = opt_.peer_site;
}

Replicator::~Replicator() {
  *alive_ = false;
}

void Replicator::start() {
  sockaddr_storage addr{};
  if (!make_addr(opt_.listen_ip, opt_.listen_port, addr))
    throw std::runtime_error("replication listen: bad address " + opt_.listen_ip);
  listener_ = new uv_tcp_t;
  uv_tcp_init(loop_, listener_);
  listener_->data = this;
  int rc = uv_tcp_bind(listener_, reinterpret_cast<const sockaddr*>(&addr), 0);
  if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(listener_), 16, &Replicator::on_connection);
  if (rc != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(listener_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
    listener_ = nullptr;
    throw std::runtime_error("replication listen on " + opt_.listen_ip + ":" +
                             std::to_string(opt_.listen_port) + ": " + uv_strerror(rc));
  }
  sockaddr_storage bound{};
  int len = sizeof bound;
  uv_tcp_getsockname(listener_, reinterpret_cast<sockaddr*>(&bound), &len);
  bound_port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                                  : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  timer_ = new uv_timer_t;
  uv_timer_init(loop_, timer_);
  timer_->data = this;
  const std::uint64_t period = std::max<std::uint64_t>(5, std::min(opt_.heartbeat_ms, opt_.reconnect_ms) / 4);
  uv_timer_start(timer_, &Replicator::on_timer, period, period);
  started_ = true;
  uv_update_time(loop_);  // the cached loop time may be as old as the daemon's start-up work
  last_rx_ms_ = uv_now(loop_);
  last_tick_ms_ = last_rx_ms_;
  set_state(LinkState::connecting);
  dial();
}

void Replicator::stop() {
  if (!started_) return;
  started_ = false;
  if (dialing_) dialing_->close("stopping");
  while (!pending_.empty()) pending_.back()->close("stopping");
  if (link_.s) link_.s->close("stopping");
  if (listener_) {
    uv_close(reinterpret_cast<uv_handle_t*>(listener_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
    listener_ = nullptr;
  }
  if (timer_) {
    uv_close(reinterpret_cast<uv_handle_t*>(timer_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    timer_ = nullptr;
  }
}

void Replicator::set_peer_address(const std::string& ip, std::uint16_t port) {
  opt_.peer_ip = ip;
  opt_.peer_port = port;
}

Session* Replicator::new_session(bool dialed) {
  Session::Callbacks cb;
  cb.on_frame = [this](Session& s, Frame& f) { on_frame(s, f); };
  cb.on_closed = [this](Session& s, const std::string& why) { on_session_closed(s, why); };
  cb.on_connected = [this](Session& s) {
    if (dialing_ == &s) dialing_ = nullptr;
    s.start_reading();
    if (s.closed()) return;  // a TLS session that could not start: already reported and freed soon
    pending_.push_back(&s);
    send_hello(s);
  };
  auto* s = new Session(loop_, next_session_id_++, dialed, std::move(cb));
  if (opt_.tls != nullptr && !s->use_tls(opt_.tls)) spdlog::error("replication: cannot make a TLS session");
  return s;
}

void Replicator::dial() {
  if (!started_ || paused_ || link_.s || dialing_) return;
  next_dial_ms_ = uv_now(loop_) + opt_.reconnect_ms;
  sockaddr_storage local{}, peer{};
  if (!make_addr(opt_.listen_ip, 0, local) || !make_addr(opt_.peer_ip, opt_.peer_port, peer)) {
    spdlog::error("replication: bad peer address {}:{}", opt_.peer_ip, opt_.peer_port);
    return;
  }
  Session* s = new_session(true);
  dialing_ = s;
  if (!s->connect(reinterpret_cast<const sockaddr*>(&local), reinterpret_cast<const sockaddr*>(&peer))) {
    s->close("cannot dial");
  }
}

void Replicator::on_connection(uv_stream_t* server, int status) {
  auto* self = static_cast<Replicator*>(server->data);
  if (status != 0) return;
  Session* s = self->new_session(false);
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(s->tcp())) != 0 || self->paused_ || !self->started_) {
    s->close("not accepted");
    return;
  }
  s->start_reading();
  if (s->closed()) return;
  self->pending_.push_back(s);
  self->send_hello(*s);
}

void Replicator::send_hello(Session& s) {
  Hello h;
  h.site = opt_.site;
  h.node_id = node_id_;
  h.credit = opt_.credit;
  // Only a completed sync is worth resuming from: mid-snapshot we ask for a new snapshot.
  if (peer_node_ != 0 && !in_snapshot_) h.held.push_back({opt_.peer_site, peer_node_, held_});
  std::string out;
  encode_hello(out, h);
  s.send(std::move(out));
}

void Replicator::on_frame(Session& s, Frame& f) {
  const bool is_link = &s == link_.s;
  if (!is_link) {
    if (f.type != FrameType::hello) {
      s.close("frame before HELLO");
      return;
    }
    on_hello(s, f.hello);
    return;
  }
  last_rx_ms_ = uv_now(loop_);
  switch (f.type) {
    case FrameType::hello:
      s.close("second HELLO");
      return;
    case FrameType::snapshot_begin:
      if (f.mark.origin != opt_.peer_site) {
        s.close("snapshot of an unknown origin");
        return;
      }
      in_snapshot_ = true;
      whole_ = false;
      held_ = 0;
      peer_node_ = f.mark.node_id;
      ++generation_;
      ++counters_.snapshots_received;
      sink_.begin_snapshot(opt_.peer_site, generation_);
      set_state(LinkState::syncing);
      return;
    case FrameType::records:
      on_records(s, f);
      return;
    case FrameType::credit:
      link_.credit += f.credit;
      pump();
      return;
    case FrameType::sync_complete:
      on_sync_complete(f.mark);
      return;
    case FrameType::ack:
      if (f.mark.origin == opt_.site && f.mark.node_id == node_id_) {
        peer_acked_ = std::max(peer_acked_, std::min(f.mark.version, store_.newest()));
        store_.collect(peer_acked_);
        if (on_acked_) on_acked_(peer_acked_);
      }
      return;
    case FrameType::heartbeat:
      counters_.peer_newest = f.newest_version;
      return;
  }
}

void Replicator::on_hello(Session& s, const Hello& h) {
  if (h.site != opt_.peer_site) {
    spdlog::warn("replication: HELLO from site '{}', expected '{}'", h.site, opt_.peer_site);
    s.close("unexpected site");
    return;
  }
  pending_.erase(std::remove(pending_.begin(), pending_.end(), &s), pending_.end());
  if (link_.s != nullptr) {
    // Both sides dialed: keep the connection dialed by the site with the smaller name (both
    // sides compute the same answer); two dialed by the same side: keep the newer one.
    const std::string& smaller = std::min(opt_.site, opt_.peer_site);
    const std::string& by_new = s.dialed() ? opt_.site : opt_.peer_site;
    const std::string& by_old = link_.s->dialed() ? opt_.site : opt_.peer_site;
    const bool keep_new = by_new == by_old || by_new == smaller;
    if (!keep_new) {
      s.close("duplicate connection");
      return;
    }
    Session* old = link_.s;
    link_ = Link{};
    old->close("duplicate connection");
  }
  link_ = Link{};
  link_.s = &s;
  link_.credit = h.credit;
  last_rx_ms_ = uv_now(loop_);
  ++counters_.connects;
  whole_ = false;
  set_state(LinkState::syncing);
  if (peer_node_ != 0 && h.node_id != peer_node_) {
    spdlog::info("replication: peer '{}' restarted (new node id)", h.site);
  }
  const OriginMark* mine = nullptr;
  for (const auto& m : h.held) {
    if (m.origin == opt_.site) mine = &m;
  }
  if (mine != nullptr && mine->node_id == node_id_ && store_.covers(mine->version)) {
    link_.mode = SendMode::delta;
    link_.sent_upto = mine->version;
    link_.bound = store_.newest();
    ++counters_.resumes_sent;
    spdlog::info("replication: link to '{}' up, resuming after version {} ({} to send)", h.site,
                 mine->version, store_.newest() - mine->version);
  } else {
    start_snapshot();
    spdlog::info("replication: link to '{}' up, sending a snapshot ({} records)", h.site, store_.live());
  }
  pump();
}

void Replicator::start_snapshot() {
  link_.mode = SendMode::snapshot;
  link_.cursor = 0;
  link_.end = store_.slot_count();
  link_.bound = store_.newest();
  link_.sync_sent = false;
  link_.extra.clear();
  if (extra_) link_.extra = extra_->snapshot_records();
  ++counters_.snapshots_sent;
  std::string out;
  encode_mark(out, FrameType::snapshot_begin, {opt_.site, node_id_, link_.bound});
  link_.s->send(std::move(out));
}

void Replicator::pump() {
  while (link_.s && link_.credit > 0 && link_.s->write_queue_bytes() < kMaxWriteQueue) {
    bool progressed = false;
    if (link_.mode == SendMode::snapshot) {
      progressed = send_snapshot_batch();
    } else if (link_.mode == SendMode::delta) {
      progressed = send_delta_batch();
    }
    if (!progressed) break;
  }
  if (link_.s && link_.mode == SendMode::delta && !link_.sync_sent && link_.sent_upto >= link_.bound) {
    std::string out;
    encode_mark(out, FrameType::sync_complete, {opt_.site, node_id_, link_.bound});
    link_.s->send(std::move(out));
    link_.sync_sent = true;
  }
}

bool Replicator::send_snapshot_batch() {
  std::string out;
  out.reserve(opt_.batch_bytes + 64);
  RecordsEncoder enc(out, true);
  while (!link_.extra.empty() && enc.count() < opt_.batch_records) {
    if (!enc.add(link_.extra.back().view(), opt_.batch_bytes) && enc.count() > 0) break;
    link_.extra.pop_back();  // sent, or too large for any frame (dropped)
  }
  while (link_.cursor < link_.end && enc.count() < opt_.batch_records) {
    const auto& e = store_.slot(link_.cursor);
    if (e.version == 0 || e.deleted || e.version > link_.bound) {
      ++link_.cursor;
      continue;
    }
    if (!enc.add(store_.view(e), opt_.batch_bytes) && enc.count() > 0) break;
    ++link_.cursor;
  }
  const bool sent = enc.count() > 0;
  if (sent) {
    counters_.records_sent += enc.count();
    enc.finish();
    --link_.credit;
    link_.s->send(std::move(out));
  }
  if (link_.cursor >= link_.end && link_.extra.empty() && link_.s) {
    if (!store_.covers(link_.bound)) {
      // Changes outran the log during the snapshot: the deltas after it are gone, start over.
      start_snapshot();
      return true;
    }
    std::string m;
    encode_mark(m, FrameType::sync_complete, {opt_.site, node_id_, link_.bound});
    link_.s->send(std::move(m));
    link_.mode = SendMode::delta;
    link_.sent_upto = link_.bound;
    link_.sync_sent = true;
    return true;
  }
  return sent;
}

bool Replicator::send_delta_batch() {
  const std::uint64_t newest = store_.newest();
  if (link_.sent_upto >= newest) return false;
  if (!store_.covers(link_.sent_upto)) {
    start_snapshot();
    return true;
  }
  std::string out;
  RecordsEncoder enc(out, false);
  std::uint64_t v = link_.sent_upto + 1;
  while (v <= newest && enc.count() < opt_.batch_records) {
    if (const auto* e = store_.at_version(v)) {
      if (!enc.add(store_.view(*e), opt_.batch_bytes) && enc.count() > 0) break;
    }
    ++v;
  }
  link_.sent_upto = v - 1;
  if (enc.count() > 0) {
    counters_.records_sent += enc.count();
    enc.finish();
    --link_.credit;
    link_.s->send(std::move(out));
  }
  return true;
}

void Replicator::on_records(Session& s, Frame& f) {
  std::vector<Record> recs;
  recs.reserve(f.records.size());
  std::uint64_t max_peer_version = 0;
  const std::uint64_t wall = wall_ms();
  for (const auto& rv : f.records) {
    // Our own bindings relayed back: we know better. Config records may come back from the
    // peer's snapshot (we may have restarted and lost run-time changes): the conflict rule decides.
    if (rv.kind == RecordKind::binding && rv.origin == opt_.site) continue;
    clock_.observe(rv.hlc, wall);
    if (rv.origin == opt_.peer_site) max_peer_version = std::max(max_peer_version, rv.version);
    recs.push_back(Record::from(rv));
  }
  counters_.records_received += recs.size();
  if (!f.snapshot && !in_snapshot_) held_ = std::max(held_, max_peer_version);
  auto alive = alive_;
  const std::uint64_t sid = s.id();
  sink_.apply(opt_.peer_site, generation_, std::move(recs), [this, alive, sid] {
    if (!*alive || link_.s == nullptr || link_.s->id() != sid) return;
    // Credit goes back in lumps of half the window (and with every heartbeat): a CREDIT frame per
    // RECORDS frame woke the sender's control loop once per batch, half of its wake-ups under
    // load, while the sender still holds the other half of the window and never waits.
    if (++link_.owed < std::max<std::uint32_t>(1, opt_.credit / 2)) return;
    std::string out;
    encode_credit(out, link_.owed);
    link_.owed = 0;
    link_.s->send(std::move(out));
  });
}

void Replicator::on_sync_complete(const OriginMark& m) {
  if (m.origin != opt_.peer_site) return;
  if (in_snapshot_) {
    sink_.end_snapshot(opt_.peer_site, generation_);
    in_snapshot_ = false;
    held_ = m.version;
  } else {
    ++counters_.resumes_received;
    held_ = std::max(held_, m.version);
  }
  peer_node_ = m.node_id;
  whole_ = true;
  counters_.last_refusal.clear();
  counters_.last_sync_wall_ms = wall_ms();
  spdlog::info("replication: whole again: hold '{}' up to version {}", opt_.peer_site, held_);
  set_state(LinkState::up);
}

namespace {
// Reasons a connection is closed before it becomes the link that an operator must see (a
// duplicate connection, a dial that found nobody or a stop are routine).
bool is_refusal(const std::string& why) {
  for (const char* p : {"TLS", "bad frame", "unexpected site", "frame before HELLO", "no HELLO"}) {
    if (why.rfind(p, 0) == 0) return true;
  }
  return false;
}
}  // namespace

void Replicator::on_session_closed(Session& s, const std::string& why) {
  pending_.erase(std::remove(pending_.begin(), pending_.end(), &s), pending_.end());
  if (dialing_ == &s) dialing_ = nullptr;
  if (link_.s == &s) {
    spdlog::info("replication: link to '{}' lost: {}", opt_.peer_site, why);
    link_ = Link{};
    whole_ = false;
    if (started_ && (state_ == LinkState::up || state_ == LinkState::syncing))
      set_state(LinkState::connecting);
  } else if (is_refusal(why)) {
    // A connection refused before it became the link: said once per reason (dials repeat every
    // reconnect_ms), and kept for GET /api/v1/peer.
    if (why != counters_.last_refusal) {
      spdlog::warn("replication: {} connection with '{}' refused: {}", s.dialed() ? "outgoing" : "incoming",
                   opt_.peer_site, why);
    }
    counters_.last_refusal = why;
  }
}

void Replicator::on_timer(uv_timer_t* t) {
  static_cast<Replicator*>(t->data)->tick();
}

void Replicator::tick() {
  const std::uint64_t now = uv_now(loop_);
  // A tick this late means the loop was busy (a long drain or snapshot apply): libuv runs timers
  // before it reads sockets, so the peer's heartbeats may be waiting unread. Judge liveness on the
  // next tick, after the loop has read them, instead of declaring a healthy peer down.
  const std::uint64_t period = uv_timer_get_repeat(timer_);
  const bool late = now - last_tick_ms_ > std::max<std::uint64_t>(4 * period, opt_.heartbeat_ms);
  last_tick_ms_ = now;
  if (late) {
    ++counters_.late_ticks;
    return;
  }
  if (link_.s && now - link_.s->last_rx_ms > opt_.down_after_ms) {
    link_.s->close("no frame for " + std::to_string(opt_.down_after_ms) + " ms");
  }
  for (std::size_t i = pending_.size(); i-- > 0;) {
    if (now - pending_[i]->last_rx_ms > opt_.down_after_ms) pending_[i]->close("no HELLO");
  }
  if (link_.s && now - last_heartbeat_ms_ >= opt_.heartbeat_ms) {
    last_heartbeat_ms_ = now;
    std::string out;
    encode_heartbeat(out, wall_ms(), store_.newest());
    if (link_.owed > 0) {
      encode_credit(out, link_.owed);
      link_.owed = 0;
    }
    if (peer_node_ != 0 && !in_snapshot_)
      encode_mark(out, FrameType::ack, {opt_.peer_site, peer_node_, held_});
    link_.s->send(std::move(out));
  }
  if (state_ != LinkState::down && now - last_rx_ms_ > opt_.down_after_ms) {
    spdlog::warn("replication: peer '{}' down (no frame for {} ms)", opt_.peer_site, now - last_rx_ms_);
    set_state(LinkState::down);
  }
  if (!link_.s && !dialing_ && now >= next_dial_ms_) dial();
  const std::uint64_t lag = counters_.peer_newest > held_ ? counters_.peer_newest - held_ : 0;
  if (lag == 0) {
    lag_since_ms_ = 0;
  } else if (lag_since_ms_ == 0) {
    lag_since_ms_ = now;
  }
  pump();
}

void Replicator::set_state(LinkState s) {
  if (s == state_) return;
  state_ = s;
  if (s != LinkState::up && s != LinkState::down) return;
  const PeerEvent ev{s == LinkState::up ? PeerEvent::up : PeerEvent::down, opt_.peer_site};
  for (auto& fn : observers_) fn(ev);
}

std::uint64_t Replicator::publish(RecordKind kind, std::string_view key, std::string_view payload,
                                  bool deleted, std::uint16_t shard, std::uint64_t hlc) {
  const std::uint64_t wall = wall_ms();
  if (hlc == 0) {
    hlc = clock_.now(wall);
  } else {
    clock_.observe(hlc, wall);
  }
  return store_.put(kind, key, payload, deleted, hlc, shard);
}

void Replicator::flush() {
  pump();
}

void Replicator::drop_link() {
  if (link_.s) link_.s->close("dropped");
}

void Replicator::set_paused(bool paused) {
  paused_ = paused;
  if (!paused) return;
  if (dialing_) dialing_->close("paused");
  while (!pending_.empty()) pending_.back()->close("paused");
  if (link_.s) link_.s->close("paused");
}

PeerStatus Replicator::status() const {
  PeerStatus st = counters_;
  st.state = state_;
  st.whole = whole_;
  st.held_version = held_;
  st.lag_versions = st.peer_newest > held_ ? st.peer_newest - held_ : 0;
  st.lag_ms = lag_since_ms_ == 0 ? 0 : uv_now(loop_) - lag_since_ms_;
  st.our_newest = store_.newest();
  st.peer_acked = peer_acked_;
  st.local_records = store_.live();
  st.tombstones = store_.tombstones();
  st.tls = opt_.tls != nullptr;
  return st;
}

}  // namespace duet::replication
