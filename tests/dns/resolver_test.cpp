// The per-loop resolver: a miss starts one lookup on the thread pool however many ask, the waiters
// are told on the loop, and the answer is then served from the cache.
#include "duet/dns/resolver.hpp"

#include <gtest/gtest.h>
#include <uv.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "duet/transport/address.hpp"

namespace duet::dns {
namespace {

struct CountingBackend : Backend {
  std::atomic<int> address_lookups{0};
  bool naptr(const std::string&, std::vector<Naptr>&, std::uint32_t&) override { return true; }
  bool srv(const std::string&, std::vector<Srv>&, std::uint32_t&) override { return true; }
  bool addresses(const std::string& n, std::vector<sockaddr_storage>& out, std::uint32_t& ttl) override {
    ++address_lookups;
    if (n != "pbx.example.test") return true;
    sockaddr_storage a{};
    transport::make_sockaddr("127.0.0.9", 0, a);
    out.push_back(a);
    ttl = std::min<std::uint32_t>(ttl, 60);
    return true;
  }
};

struct ResolverTest : ::testing::Test {
  uv_loop_t loop{};
  std::shared_ptr<CountingBackend> backend = std::make_shared<CountingBackend>();
  std::vector<std::uint64_t> told;
  std::unique_ptr<Resolver> r;
  ResolverTest() {
    uv_loop_init(&loop);
    r = std::make_unique<Resolver>(&loop, backend, [this](std::uint64_t w) { told.push_back(w); });
  }
  ~ResolverTest() override {
    r.reset();
    uv_run(&loop, UV_RUN_DEFAULT);  // no work left: returns at once
    uv_loop_close(&loop);
  }
  static Query q(const std::string& host) {
    Query x;
    x.host = host;
    x.port = 5060;
    return x;
  }
};

TEST_F(ResolverTest, OneLookupForManyWaitersThenTheCache) {
  EXPECT_EQ(r->find(q("pbx.example.test"), 1), nullptr);
  EXPECT_EQ(r->find(q("pbx.example.test"), 2), nullptr);
  uv_run(&loop, UV_RUN_DEFAULT);  // until the pool's work and its completion ran
  EXPECT_EQ(told, (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ(backend->address_lookups.load(), 1);
  const Answer* a = r->find(q("pbx.example.test"), 3);
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->hops.size(), 1u);
  EXPECT_EQ(transport::sockaddr_to_string(a->hops[0].addr), "127.0.0.9:5060");
  EXPECT_EQ(r->stats().lookups, 1u);
  EXPECT_EQ(r->stats().cache_hits, 1u);
  EXPECT_EQ(told.size(), 2u);  // a hit tells nobody
}

TEST_F(ResolverTest, UnknownNameIsCachedAsNoHop) {
  EXPECT_EQ(r->find(q("nowhere.example.test"), 1), nullptr);
  uv_run(&loop, UV_RUN_DEFAULT);
  const Answer* a = r->find(q("nowhere.example.test"), 2);
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(a->hops.empty());
  EXPECT_EQ(r->stats().unresolved, 1u);
  EXPECT_EQ(backend->address_lookups.load(), 1);
}

TEST_F(ResolverTest, ClosedResolverDropsLateAnswers) {
  EXPECT_EQ(r->find(q("pbx.example.test"), 1), nullptr);
  r->close();
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_TRUE(told.empty());
}

// A backend whose answers live one second, and which can be told to fail.
struct ShortLivedBackend : CountingBackend {
  std::atomic<bool> failing{false};
  bool addresses(const std::string& n, std::vector<sockaddr_storage>& out, std::uint32_t& ttl) override {
    if (failing) return false;
    CountingBackend::addresses(n, out, ttl);
    ttl = 1;
    return true;
  }
};

// RFC 8767: an expired answer is used at once while it is looked up again, and kept when the new
// lookup fails; callers do not wait for the refresh.
TEST(ResolverStale, ExpiredAnswerServedWhileRefreshedAndKeptOnFailure) {
  uv_loop_t loop{};
  uv_loop_init(&loop);
  auto backend = std::make_shared<ShortLivedBackend>();
  std::vector<std::uint64_t> told;
  {
    Resolver r(&loop, backend, [&](std::uint64_t w) { told.push_back(w); });
    Query q;
    q.host = "pbx.example.test";
    q.port = 5060;
    EXPECT_EQ(r.find(q, 1), nullptr);
    uv_run(&loop, UV_RUN_DEFAULT);
    ASSERT_NE(r.find(q, 2), nullptr);
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // past the one-second TTL
    uv_update_time(&loop);
    backend->failing = true;
    const Answer* stale = r.find(q, 3);
    ASSERT_NE(stale, nullptr) << "the expired answer was not served while refreshed";
    EXPECT_EQ(stale->hops.size(), 1u);
    uv_run(&loop, UV_RUN_DEFAULT);  // the refresh fails
    const Answer* kept = r.find(q, 4);
    ASSERT_NE(kept, nullptr);
    EXPECT_EQ(kept->hops.size(), 1u);
    EXPECT_EQ(told, std::vector<std::uint64_t>{1});  // nobody else waited
    EXPECT_EQ(r.stats().stale_served, 1u);
  }
  uv_loop_close(&loop);
}

// A backend whose lookups block until released: lookups pile up on the pool.
struct BlockingBackend : Backend {
  std::mutex mu;
  std::condition_variable cv;
  bool released = false;
  bool naptr(const std::string&, std::vector<Naptr>&, std::uint32_t&) override { return true; }
  bool srv(const std::string&, std::vector<Srv>&, std::uint32_t&) override { return true; }
  bool addresses(const std::string&, std::vector<sockaddr_storage>&, std::uint32_t&) override {
    std::unique_lock lock(mu);
    cv.wait_for(lock, std::chrono::seconds(10), [&] { return released; });
    return true;
  }
  void release() {
    {
      std::lock_guard lock(mu);
      released = true;
    }
    cv.notify_all();
  }
};

// Anyone can name hosts in a request: past kMaxPending lookups at once, a new name is answered
// "lookup failed" at once instead of queueing behind them; a name already being looked up still waits.
TEST(ResolverBound, LookupsRunningAtOnceAreBounded) {
  uv_loop_t loop{};
  uv_loop_init(&loop);
  auto backend = std::make_shared<BlockingBackend>();
  std::size_t told = 0;
  {
    Resolver r(&loop, backend, [&](std::uint64_t) { ++told; });
    auto name = [](std::size_t i) {
      Query q;
      q.host = "h" + std::to_string(i) + ".example.test";
      q.port = 5060;
      return q;
    };
    for (std::size_t i = 0; i < Resolver::kMaxPending; ++i) EXPECT_EQ(r.find(name(i), i), nullptr);
    const Answer* busy = r.find(name(Resolver::kMaxPending), 999);
    ASSERT_NE(busy, nullptr);
    EXPECT_TRUE(busy->hops.empty());
    EXPECT_TRUE(busy->temporary);
    EXPECT_EQ(r.find(name(0), 1000), nullptr);  // joins the running lookup
    EXPECT_EQ(r.stats().refused, 1u);
    backend->release();
    uv_run(&loop, UV_RUN_DEFAULT);
    EXPECT_EQ(told, Resolver::kMaxPending + 1);
    EXPECT_EQ(r.find(name(Resolver::kMaxPending), 1001), nullptr);  // room again: looked up now
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  uv_loop_close(&loop);
}

}  // namespace
}  // namespace duet::dns
