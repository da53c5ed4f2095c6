// Two replication endpoints in one process over loopback TCP: snapshot under a credit window,
// SYNC_COMPLETE, deltas, tombstones, resume after a cut without a snapshot, a restarted peer
// (new node id) getting a snapshot that also removes what it no longer has, down detection.
#include <gtest/gtest.h>
#include <uv.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "duet/replication/replicator.hpp"

namespace duet::replication {
namespace {

// The peer's records as a map, with the generation sweep the worker views do. done() can be
// held back to check the credit window.
class MapSink final : public RemoteSink {
 public:
  struct Held {
    std::string payload;
    std::uint64_t version, generation;
  };
  void begin_snapshot(const std::string&, std::uint64_t) override { ++snapshots; }
  void apply(const std::string&, std::uint64_t generation, std::vector<Record>&& recs,
             std::function<void()> done) override {
    ++batches;
    for (auto& r : recs) {
      auto it = held.find(r.key);
      if (it != held.end() && it->second.version > r.version) continue;
      if (r.deleted) {
        held.erase(r.key);
      } else {
        held[r.key] = {r.payload, r.version, generation};
      }
    }
    if (hold_done) {
      parked.push_back(std::move(done));
      max_parked = std::max(max_parked, parked.size());
    } else {
      done();
    }
  }
  void end_snapshot(const std::string&, std::uint64_t generation) override {
    for (auto it = held.begin(); it != held.end();) {
      it = it->second.generation < generation ? held.erase(it) : std::next(it);
    }
  }
  void release_one() {
    if (parked.empty()) return;
    auto d = std::move(parked.front());
    parked.erase(parked.begin());
    d();
  }
  std::map<std::string, Held> held;
  int snapshots = 0, batches = 0;
  bool hold_done = false;
  std::vector<std::function<void()>> parked;
  std::size_t max_parked = 0;
};

class LinkTest : public ::testing::Test {
 protected:
  void SetUp() override { uv_loop_init(&loop_); }
  void TearDown() override {
    if (a_) a_->stop();
    if (b_) b_->stop();
    run_for(20);
    a_.reset();
    b_.reset();
    uv_walk(
        &loop_,
        [](uv_handle_t* h, void*) {
          if (!uv_is_closing(h)) uv_close(h, nullptr);
        },
        nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_loop_close(&loop_);
  }

  PeerOptions opts(const std::string& site, const std::string& peer, std::uint16_t peer_port) {
    PeerOptions o;
    o.site = site;
    o.peer_site = peer;
    o.listen_ip = "127.0.0.1";
    o.listen_port = 0;
    o.peer_ip = "127.0.0.1";
    o.peer_port = peer_port;
    o.heartbeat_ms = 50;
    o.down_after_ms = 300;
    o.reconnect_ms = 50;
    o.credit = 4;
    o.batch_records = 100;
    o.log_capacity = 1u << 16;
    return o;
  }

  // Starts A then B, each dialing the other's listener.
  void start_pair(std::uint64_t node_a = 0) {
    a_ = std::make_unique<Replicator>(&loop_, opts("a", "b", 1), sink_a_, node_a);
    a_->start();
    b_ = std::make_unique<Replicator>(&loop_, opts("b", "a", a_->bound_port()), sink_b_);
    b_->start();
    a_->set_peer_address("127.0.0.1", b_->bound_port());
  }
  void restart_a() {
    a_->stop();
    run_for(10);
    a_ = std::make_unique<Replicator>(&loop_, opts("a", "b", b_->bound_port()), sink_a_);
    a_->start();
    b_->set_peer_address("127.0.0.1", a_->bound_port());
  }

  bool run_until(const std::function<bool()>& done, int max_ms = 5000) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(max_ms);
    while (std::chrono::steady_clock::now() < end) {
      if (done()) return true;
      uv_run(&loop_, UV_RUN_NOWAIT);
      if (done()) return true;
      uv_sleep(1);
    }
    return done();
  }
  void run_for(int ms) {
    run_until([] { return false; }, ms);
  }

  void put(Replicator& r, const std::string& key, const std::string& payload) {
    r.publish(RecordKind::binding, key, payload, false);
    r.flush();
  }
  void del(Replicator& r, const std::string& key) {
    r.publish(RecordKind::binding, key, "", true);
    r.flush();
  }

  uv_loop_t loop_{};
  MapSink sink_a_, sink_b_;  // what A holds from B, what B holds from A
  std::unique_ptr<Replicator> a_, b_;
};

TEST_F(LinkTest, SnapshotThenSyncCompleteThenDeltas) {
  start_pair();
  // Records that exist before the link comes up travel in the snapshot.
  for (int i = 0; i < 2000; ++i) a_->publish(RecordKind::binding, "k" + std::to_string(i), "v", false);
  ASSERT_TRUE(run_until([&] { return b_->status().whole && a_->status().whole; }));
  EXPECT_EQ(sink_b_.held.size(), 2000u);
  EXPECT_EQ(b_->status().state, LinkState::up);
  EXPECT_EQ(b_->status().held_version, 2000u);
  EXPECT_EQ(b_->status().snapshots_received, 1u);
  EXPECT_EQ(a_->status().connects, 1u);  // both dialed; exactly one connection kept
  EXPECT_EQ(b_->status().connects, 1u);
  // Deltas: a change and a delete.
  put(*a_, "k1", "changed");
  del(*a_, "k2");
  ASSERT_TRUE(
      run_until([&] { return sink_b_.held.size() == 1999 && sink_b_.held["k1"].payload == "changed"; }));
  EXPECT_EQ(sink_b_.held.count("k2"), 0u);
  // The other direction works on the same connection.
  put(*b_, "from-b", "x");
  ASSERT_TRUE(run_until([&] { return sink_a_.held.count("from-b") == 1; }));
  // ACKs let A collect its tombstone.
  ASSERT_TRUE(run_until([&] { return a_->status().tombstones == 0; }));
  EXPECT_EQ(a_->status().peer_acked, a_->status().our_newest);
}

TEST_F(LinkTest, SnapshotRespectsTheCreditWindow) {
  sink_b_.hold_done = true;
  start_pair();
  for (int i = 0; i < 5000; ++i) a_->publish(RecordKind::binding, "k" + std::to_string(i), "v", false);
  // B applies but returns no credit: A stops after `credit` frames.
  run_for(300);
  EXPECT_EQ(sink_b_.batches, 4);
  EXPECT_FALSE(b_->status().whole);
  // Credit back one frame at a time: never more than the window in flight.
  ASSERT_TRUE(run_until(
      [&] {
        sink_b_.release_one();
        return b_->status().whole;
      },
      10000));
  EXPECT_LE(sink_b_.max_parked, 4u);
  EXPECT_EQ(sink_b_.held.size(), 5000u);
  EXPECT_EQ(sink_b_.batches, 50);  // 5000 records in frames of 100
}

TEST_F(LinkTest, ResumeAfterACutWithoutSnapshot) {
  start_pair();
  for (int i = 0; i < 100; ++i) a_->publish(RecordKind::binding, "k" + std::to_string(i), "v", false);
  ASSERT_TRUE(run_until([&] { return b_->status().whole && sink_b_.held.size() == 100; }));
  run_for(120);          // an ACK or two
  b_->set_paused(true);  // cut: B refuses and drops connections
  ASSERT_TRUE(run_until([&] { return !a_->status().whole; }));
  // Changes while cut.
  for (int i = 100; i < 150; ++i) a_->publish(RecordKind::binding, "k" + std::to_string(i), "v", false);
  a_->publish(RecordKind::binding, "k5", "", true);
  a_->publish(RecordKind::binding, "k6", "v2", false);
  b_->set_paused(false);
  ASSERT_TRUE(run_until([&] { return b_->status().whole && sink_b_.held.size() == 149; }));
  EXPECT_EQ(sink_b_.held.count("k5"), 0u);
  EXPECT_EQ(sink_b_.held["k6"].payload, "v2");
  EXPECT_EQ(b_->status().snapshots_received, 1u);  // still only the first one
  EXPECT_EQ(b_->status().resumes_received, 1u);
  EXPECT_EQ(a_->status().resumes_sent, 1u);
  EXPECT_EQ(b_->status().held_version, a_->status().our_newest);
}

TEST_F(LinkTest, RestartedPeerSendsASnapshotThatRemovesWhatItLost) {
  start_pair();
  for (int i = 0; i < 300; ++i) a_->publish(RecordKind::binding, "k" + std::to_string(i), "v", false);
  ASSERT_TRUE(run_until([&] { return b_->status().whole && sink_b_.held.size() == 300; }));
  // A restarts with only part of its state (phones that re-registered).
  restart_a();
  for (int i = 0; i < 120; ++i) a_->publish(RecordKind::binding, "k" + std::to_string(i), "again", false);
  ASSERT_TRUE(run_until([&] { return b_->status().snapshots_received == 2 && b_->status().whole; }));
  EXPECT_EQ(sink_b_.held.size(), 120u);
  EXPECT_EQ(sink_b_.held["k7"].payload, "again");
  // And A, whose memory is new, gets B's state by snapshot too.
  ASSERT_TRUE(run_until([&] { return a_->status().whole; }));
  EXPECT_EQ(a_->status().snapshots_received, 1u);
}

TEST_F(LinkTest, ReceiverRestartGetsAFullSnapshot) {
  start_pair();
  for (int i = 0; i < 50; ++i) a_->publish(RecordKind::binding, "k" + std::to_string(i), "v", false);
  ASSERT_TRUE(run_until([&] { return b_->status().whole; }));
  // B restarts: empty view, no HELLO mark: snapshot.
  b_->stop();
  run_for(10);
  sink_b_ = MapSink{};
  b_ = std::make_unique<Replicator>(&loop_, opts("b", "a", a_->bound_port()), sink_b_);
  b_->start();
  a_->set_peer_address("127.0.0.1", b_->bound_port());
  ASSERT_TRUE(run_until([&] { return b_->status().whole; }));
  EXPECT_EQ(sink_b_.held.size(), 50u);
  EXPECT_EQ(a_->status().snapshots_sent, 2u);
}

TEST_F(LinkTest, PeerSilenceIsDeclaredDownThenUpAgain) {
  start_pair();
  std::vector<PeerEvent::Kind> events;
  a_->subscribe([&](const PeerEvent& e) {
    EXPECT_EQ(e.peer_site, "b");
    events.push_back(e.kind);
  });
  ASSERT_TRUE(run_until([&] { return a_->status().state == LinkState::up; }));
  b_->set_paused(true);
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(run_until([&] { return a_->status().state == LinkState::down; }));
  const auto took =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  EXPECT_GE(took.count(), 250);  // down_after_ms is 300: not before
  EXPECT_LT(took.count(), 1500);
  b_->set_paused(false);
  ASSERT_TRUE(run_until([&] { return a_->status().state == LinkState::up; }));
  ASSERT_EQ(events.size(), 3u);  // up (first sync), down, up
  EXPECT_EQ(events[0], PeerEvent::up);
  EXPECT_EQ(events[1], PeerEvent::down);
  EXPECT_EQ(events[2], PeerEvent::up);
}

TEST_F(LinkTest, RefusesAHelloFromAnotherSite) {
  a_ = std::make_unique<Replicator>(&loop_, opts("a", "b", 1), sink_a_);
  a_->start();
  b_ = std::make_unique<Replicator>(&loop_, opts("c", "a", a_->bound_port()), sink_b_);
  b_->start();
  run_for(300);
  EXPECT_EQ(a_->status().connects, 0u);
  EXPECT_NE(a_->status().state, LinkState::up);
}

}  // namespace
}  // namespace duet::replication
