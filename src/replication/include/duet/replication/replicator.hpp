// The peer-replication protocol on the control loop (PROTOCOL.md): both sites listen and dial,
// exchange HELLO, send a snapshot under a credit window (or resume from the change log), mark
// the end with SYNC_COMPLETE, then stream deltas; ACKs collect tombstones; heartbeats detect a
// dead peer. Everything here runs on the control loop's thread.
#pragma once

#include <openssl/ssl.h>
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "duet/replication/frame.hpp"
#include "duet/replication/hlc.hpp"
#include "duet/replication/local_store.hpp"
#include "duet/replication/record.hpp"
#include "duet/replication/session.hpp"

namespace duet::replication {

struct PeerOptions {
  std::string site;       // our site name (origin of our records)
  std::string peer_site;  // the peer's site name (HELLO from anyone else is refused)
  std::string listen_ip;  // our replication listener; dials leave from this address too
  std::uint16_t listen_port = 7070;
  std::string peer_ip;
  std::uint16_t peer_port = 7070;
  std::uint32_t heartbeat_ms = 200;
  std::uint32_t down_after_ms = 1000;
  std::uint32_t reconnect_ms = 200;
  std::size_t log_capacity = 1u << 20;  // change-log entries (versions) kept for resume
  std::uint32_t credit = 16;            // RECORDS frames in flight we accept from the peer
  std::size_t batch_bytes = 256 * 1024;
  std::size_t batch_records = 2048;
  // Not null: the link runs TLS with this context (transport::make_peer_tls_context; not owned,
  // it outlives the replicator). Null: plain TCP.
  SSL_CTX* tls = nullptr;
};

// Where the peer's records go. apply() must call done() on the control loop once the batch is
// applied: that returns the batch's credit to the peer (end-to-end flow control).
class RemoteSink {
 public:
  virtual ~RemoteSink() = default;
  virtual void begin_snapshot(const std::string& origin, std::uint64_t generation) = 0;
  virtual void apply(const std::string& origin, std::uint64_t generation, std::vector<Record>&& records,
                     std::function<void()> done) = 0;
  // The snapshot of origin is complete: drop what it held from origin with an older generation.
  virtual void end_snapshot(const std::string& origin, std::uint64_t generation) = 0;
};

// Records that may change at either site (config objects) and must all be in a snapshot, not
// only the ones this site originated. Optional.
class SnapshotExtra {
 public:
  virtual ~SnapshotExtra() = default;
  virtual std::vector<Record> snapshot_records() = 0;
};

enum class LinkState : std::uint8_t { disabled, connecting, syncing, up, down };
std::string_view link_state_name(LinkState s) noexcept;

struct PeerStatus {
  LinkState state = LinkState::disabled;
  std::string peer_site;
  bool whole = false;                   // we hold the peer's complete state (its SYNC_COMPLETE arrived)
  std::uint64_t last_sync_wall_ms = 0;  // when the last SYNC_COMPLETE arrived
  std::uint64_t held_version = 0;       // peer's version we hold
  std::uint64_t peer_newest = 0;        // peer's newest version (from its heartbeats)
  std::uint64_t lag_versions = 0;
  std::uint64_t lag_ms = 0;
  std::uint64_t our_newest = 0, peer_acked = 0;
  std::uint64_t snapshots_sent = 0, snapshots_received = 0, resumes_sent = 0, resumes_received = 0;
  std::uint64_t records_sent = 0, records_received = 0;
  std::uint64_t local_records = 0, tombstones = 0;
  std::uint64_t queue_depth = 0, queue_full = 0;  // filled by the owner of the rings
  std::uint64_t connects = 0;
  std::uint64_t late_ticks = 0;  // liveness checks put off because the loop was busy
  bool tls = false;
  // Why the last connection that never became the link was closed (a TLS handshake that failed,
  // a HELLO from the wrong site...); empty once the link is up.
  std::string last_refusal;
};

struct PeerEvent {
  enum Kind : std::uint8_t { up, down } kind;
  std::string peer_site;
};

class Replicator {
 public:
  Replicator(uv_loop_t* loop, PeerOptions opt, RemoteSink& sink, std::uint64_t node_id = 0);
  ~Replicator();
  Replicator(const Replicator&) = delete;
  Replicator& operator=(const Replicator&) = delete;

  // Listens and starts dialing. Throws std::runtime_error if the listener cannot be bound.
  void start();
  // Closes the listener, the sessions and the timers (on the loop).
  void stop();
  // The port actually bound (listen_port 0 picks one).
  std::uint16_t bound_port() const noexcept { return bound_port_; }
  // Points the dialer elsewhere (tests put a proxy in between).
  void set_peer_address(const std::string& ip, std::uint16_t port);
  void set_snapshot_extra(SnapshotExtra* extra) noexcept { extra_ = extra; }
  // Called with the highest of our versions the peer acknowledged (tombstone collection elsewhere).
  void set_on_acked(std::function<void(std::uint64_t)> fn) { on_acked_ = std::move(fn); }

  // A change made here. hlc 0: stamped now. Returns the version (0: delete of an unknown key).
  std::uint64_t publish(RecordKind kind, std::string_view key, std::string_view payload, bool deleted,
                        std::uint16_t shard = 0, std::uint64_t hlc = 0);
  // Sends what publish() queued (call after a batch of publishes).
  void flush();
  HybridClock& clock() noexcept { return clock_; }
  LocalStore& store() noexcept { return store_; }
  std::uint64_t node_id() const noexcept { return node_id_; }

  PeerStatus status() const;
  void subscribe(std::function<void(const PeerEvent&)> fn) { observers_.push_back(std::move(fn)); }

  // Drops the current session (tests: a link cut); both sides reconnect by themselves.
  void drop_link();
  // Stops accepting and dialing (true) or resumes (false): tests cut the link with it.
  void set_paused(bool paused);

 private:
  enum class SendMode : std::uint8_t { idle, snapshot, delta };
  struct Link {  // the one session that passed HELLO
    Session* s = nullptr;
    std::uint32_t credit = 0;  // RECORDS frames we may still send
    std::uint32_t owed = 0;    // frames of the peer's we applied and have not returned credit for yet
    SendMode mode = SendMode::idle;
    std::size_t cursor = 0, end = 0;  // snapshot slots
    std::uint64_t bound = 0;          // snapshot upper version / resume target
    std::uint64_t sent_upto = 0;      // deltas: every version <= this was sent or superseded
    bool sync_sent = false;
    std::vector<Record> extra;  // snapshot records from SnapshotExtra, sent first
  };

  static void on_connection(uv_stream_t* server, int status);
  static void on_timer(uv_timer_t* t);
  Session* new_session(bool dialed);
  void dial();
  void on_frame(Session& s, Frame& f);
  void on_session_closed(Session& s, const std::string& why);
  void send_hello(Session& s);
  void on_hello(Session& s, const Hello& h);
  void on_records(Session& s, Frame& f);
  void on_sync_complete(const OriginMark& m);
  void pump();
  void start_snapshot();
  bool send_snapshot_batch();
  bool send_delta_batch();
  void tick();
  void set_state(LinkState s);

  uv_loop_t* loop_;
  PeerOptions opt_;
  RemoteSink& sink_;
  SnapshotExtra* extra_ = nullptr;
  std::function<void(std::uint64_t)> on_acked_;
  std::uint64_t node_id_;
  HybridClock clock_;
  LocalStore store_;

  uv_tcp_t* listener_ = nullptr;
  uv_timer_t* timer_ = nullptr;
  std::uint16_t bound_port_ = 0;
  bool started_ = false, paused_ = false;
  std::uint64_t next_session_id_ = 1;
  std::vector<Session*> pending_;  // connected, HELLO not yet received
  Session* dialing_ = nullptr;
  std::uint64_t next_dial_ms_ = 0;
  Link link_;
  std::uint64_t last_rx_ms_ = 0;  // last frame from the peer on any session
  std::uint64_t last_heartbeat_ms_ = 0;
  std::uint64_t last_tick_ms_ = 0;

  // What we hold from the peer.
  std::uint64_t peer_node_ = 0;
  std::uint64_t held_ = 0;
  std::uint64_t generation_ = 0;
  bool whole_ = false;
  bool in_snapshot_ = false;
  std::uint64_t peer_acked_ = 0;

  LinkState state_ = LinkState::disabled;
  PeerStatus counters_;
  std::uint64_t lag_since_ms_ = 0;
  std::vector<std::function<void(const PeerEvent&)>> observers_;
  std::shared_ptr<bool> alive_;  // done() callbacks outliving us check it
};

}  // namespace duet::replication
