// Worker -> control: REGISTERs through the real SIP service become versioned records in the
// replication store (via the shards' ChangeSink and the bounded rings); a full ring is counted
// and caught up from the dirty set; the peer's records land in the owning worker's remote view
// and appear in binding queries.
#include <gtest/gtest.h>

#include <future>
#include <set>

#include "../registrar/binding_data.hpp"
#include "../server/service_fixture.hpp"
#include "duet/control/control_loop.hpp"
#include "duet/registrar/aor_key.hpp"
#include "duet/registrar/binding_store.hpp"
#include "duet/replication/binding_record.hpp"
#include "duet/replication/change_feed.hpp"
#include "duet/replication/server_hooks.hpp"
#include "duet/replication/wire.hpp"

namespace duet::replication {
namespace {

using registrar::test::binding_data;
using server::test::register_text;
using server::test::UdpClient;

TEST(ShardFeed, FullRingIsCountedAndCaughtUpFromTheDirtySet) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  uv_async_t wake;
  uv_async_init(&loop, &wake, [](uv_async_t*) {});
  {
    registrar::BindingStore store(0, 0, "a");
    ShardFeed feed(0, 1024, &wake);  // room for a handful of messages
    feed.attach(&loop, store);
    std::vector<std::string> users;
    for (int i = 0; i < 40; ++i) users.push_back("u" + std::to_string(i));
    for (const auto& u : users) {
      const registrar::AorKey k{u, "example.com", registrar::aor_hash(u, "example.com")};
      ASSERT_NE(store.add(k, binding_data(u, "sip:" + u + "@10.0.0.1", 3600000)), nullptr);
    }
    EXPECT_GT(feed.queue_full(), 0u);
    EXPECT_GT(feed.dirty_count(), 0u);
    // Remove one binding whose add was not queued: its tombstone must come out of the dirty set.
    const registrar::AorKey last{users.back(), "example.com",
                                 registrar::aor_hash(users.back(), "example.com")};
    store.remove(store.find(last), last);
    std::map<std::string, bool> seen;  // key -> deleted
    for (int round = 0; round < 100 && (feed.dirty_count() > 0 || feed.ring().used_bytes() > 0); ++round) {
      feed.ring().drain([&](std::string_view msg) {
        WireReader r(msg);
        std::uint8_t del;
        std::string_view key;
        ASSERT_TRUE(r.u8(del) && r.str16(key));
        seen[std::string(key)] = del != 0;
        if (!del) {
          BindingInfo info;
          ASSERT_TRUE(decode_binding(msg.substr(msg.size() - r.left()), info));
          EXPECT_EQ(info.site, "a");
          EXPECT_EQ(info.contact, "sip:" + info.user + "@10.0.0.1");
        }
      });
      feed.flush_dirty();
    }
    EXPECT_EQ(feed.dirty_count(), 0u);
    ASSERT_EQ(seen.size(), users.size());
    for (const auto& u : users) {
      const auto k = binding_key(u, "example.com", "sip:" + u + "@10.0.0.1");
      ASSERT_EQ(seen.count(k), 1u) << u;
      EXPECT_EQ(seen[k], u == users.back()) << u;
    }
    feed.detach();
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&wake), nullptr);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
}

// A service with two workers whose shards feed a Replicator that has no peer yet.
class FeedService : public ::testing::Test {
 protected:
  void SetUp() override {
    cfg_.workers = 2;
    cfg_.site_name = "a";
    cfg_.listeners = {{transport::Proto::udp, "127.0.0.1", 0}};
    svc_ = std::make_unique<server::SipService>(cfg_);
    wr_ = std::make_unique<WorkerReplication>(control_, 2, 1u << 16);
    hooks_ = std::make_unique<ServerHooks>(*wr_);
    svc_->set_shard_hooks(hooks_.get());
    PeerOptions o;
    o.site = "a";
    o.peer_site = "b";
    repl_ = std::make_unique<Replicator>(control_.loop(), o, *wr_);
    rt_ = std::make_unique<transport::Runtime>(config::to_transport_config(cfg_), *svc_);
    wr_->bind(*repl_, *rt_);
    control_.start();
    rt_->start();
    port_ = server::test::bound_port(*rt_, transport::Proto::udp);
  }
  void TearDown() override {
    rt_->stop();
    control_.stop();
    rt_.reset();
  }
  template <class T>
  T on_control(std::function<T()> fn) {
    std::promise<T> p;
    control_.post([&] { p.set_value(fn()); });
    return p.get_future().get();
  }
  bool wait_for(const std::function<bool()>& pred) {
    for (int i = 0; i < 400; ++i) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }
  std::vector<server::BindingRow> query(const std::string& aor) {
    std::promise<std::vector<server::BindingRow>> p;
    svc_->query_bindings(*rt_, aor,
                         [&](std::vector<server::BindingRow> rows) { p.set_value(std::move(rows)); });
    return p.get_future().get();
  }

  config::Config cfg_;
  control::ControlLoop control_;
  std::unique_ptr<server::SipService> svc_;
  std::unique_ptr<WorkerReplication> wr_;
  std::unique_ptr<ServerHooks> hooks_;
  std::unique_ptr<Replicator> repl_;
  std::unique_ptr<transport::Runtime> rt_;
  std::uint16_t port_ = 0;
};

TEST_F(FeedService, RegisterAndUnregisterBecomeVersionedRecords) {
  UdpClient phone;
  for (int i = 0; i < 20; ++i) {
    phone.send(port_, register_text("alice" + std::to_string(i), "10.1.1.1", phone.port, "UDP"));
    ASSERT_NE(phone.recv().find("SIP/2.0 200"), std::string::npos);
  }
  const auto key = binding_key("alice3", "example.com", "sip:alice3@10.1.1.1");
  ASSERT_TRUE(wait_for([&] { return on_control<bool>([&] { return repl_->store().live() == 20; }); }));
  const auto rec = on_control<std::pair<std::uint64_t, std::string>>([&] {
    const auto* e = repl_->store().find(key);
    return e ? std::make_pair(e->version, e->payload) : std::make_pair(std::uint64_t{0}, std::string());
  });
  ASSERT_NE(rec.first, 0u);
  BindingInfo info;
  ASSERT_TRUE(decode_binding(rec.second, info));
  EXPECT_EQ(info.aor(), "alice3@example.com");
  EXPECT_EQ(info.contact, "sip:alice3@10.1.1.1");
  EXPECT_EQ(info.site, "a");
  EXPECT_EQ(info.received(), "127.0.0.1:" + std::to_string(phone.port) + "/udp");
  EXPECT_NEAR(static_cast<double>(info.remaining_s(wall_ms())), 3600.0, 5.0);
  // Un-REGISTER: a tombstone with a higher version.
  phone.send(port_, register_text("alice3", "10.1.1.1", phone.port, "UDP", 2, "0"));
  ASSERT_NE(phone.recv().find("SIP/2.0 200"), std::string::npos);
  ASSERT_TRUE(wait_for([&] { return on_control<bool>([&] { return repl_->store().live() == 19; }); }));
  const auto tomb = on_control<std::pair<bool, std::uint64_t>>([&] {
    const auto* e = repl_->store().find(key);
    return std::make_pair(e && e->deleted, e ? e->version : 0);
  });
  EXPECT_TRUE(tomb.first);
  EXPECT_GT(tomb.second, rec.first);
  EXPECT_EQ(on_control<std::uint64_t>([&] { return repl_->store().newest(); }), 21u);
  EXPECT_EQ(query("").size(), 19u);
  EXPECT_EQ(query("alice5@example.com").size(), 1u);
  EXPECT_TRUE(query("alice3@example.com").empty());
}

TEST_F(FeedService, PeerRecordsLandInTheOwningWorkersViewAndInQueries) {
  std::vector<Record> recs;
  for (int i = 0; i < 10; ++i) {
    BindingInfo b;
    b.user = "bob" + std::to_string(i);
    b.domain = "example.com";
    b.contact = "sip:" + b.user + "@10.2.2.2";
    b.site = "b";
    b.expires_at_wall_ms = wall_ms() + 600000;
    b.family = 4;
    b.addr[0] = 10;
    b.addr[3] = 9;
    b.port = 5062;
    Record r;
    r.origin = "b";
    r.version = static_cast<std::uint64_t>(i + 1);
    r.key = binding_key(b.user, b.domain, b.contact);
    encode_binding(r.payload, b);
    recs.push_back(std::move(r));
  }
  std::promise<void> applied;
  control_.post([&] { wr_->apply("b", 1, std::move(recs), [&] { applied.set_value(); }); });
  ASSERT_EQ(applied.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);
  const auto rows = query("bob4@example.com");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_FALSE(rows[0].local);
  EXPECT_EQ(rows[0].site, "b");
  EXPECT_EQ(rows[0].contact, "sip:bob4@10.2.2.2");
  EXPECT_EQ(rows[0].received, "10.0.0.9:5062/udp");
  EXPECT_EQ(query("").size(), 10u);
  // A new snapshot generation that lacks them: the sweep drops them.
  control_.post([&] { wr_->end_snapshot("b", 2); });
  ASSERT_TRUE(wait_for([&] { return query("").empty(); }));
}

}  // namespace
}  // namespace duet::replication
