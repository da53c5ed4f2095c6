// OwnerMap: the first claim of a slot wins, for good, whatever thread makes it.
#include "duet/registrar/owner_map.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace duet::registrar {
namespace {

TEST(OwnerMap, UnclaimedSlotsAnswerTheFallback) {
  OwnerMap m(10);
  EXPECT_EQ(m.slots(), 1024u);
  EXPECT_EQ(m.owner(12345, 7), 7);
  EXPECT_EQ(m.owner(12345, 0), 0);
}

TEST(OwnerMap, TheFirstClaimWinsAndStays) {
  OwnerMap m(10);
  const std::uint64_t a = std::uint64_t{42} << 32, b = std::uint64_t{43} << 32;
  EXPECT_EQ(m.claim(a, 1), 1);
  EXPECT_EQ(m.claim(a, 0), 1);
  EXPECT_EQ(m.owner(a, 0), 1);
  // Worker 0 is a real owner, not "unclaimed".
  EXPECT_EQ(m.claim(b, 0), 0);
  EXPECT_EQ(m.owner(b, 5), 0);
  EXPECT_EQ(m.claim(b, 3), 0);
}

TEST(OwnerMap, HashesSharingASlotShareItsOwner) {
  OwnerMap m(4);  // 16 slots, picked by the hash's high half: these two share one
  const std::uint64_t a = std::uint64_t{5} << 32, b = (std::uint64_t{5 + 16} << 32) | 77;
  EXPECT_EQ(m.claim(a, 2), 2);
  EXPECT_EQ(m.claim(b, 1), 2);
  EXPECT_EQ(m.owner(std::uint64_t{6} << 32, 9), 9);
}

TEST(OwnerMap, ConcurrentClaimsAgreeOnOneOwnerPerSlot) {
  OwnerMap m(12);
  constexpr int kThreads = 4;
  constexpr std::uint64_t kHashes = 4096;
  std::vector<std::vector<std::uint16_t>> seen(kThreads, std::vector<std::uint16_t>(kHashes));
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      ready.fetch_add(1);
      while (ready.load() < kThreads) {
      }
      for (std::uint64_t h = 0; h < kHashes; ++h)
        seen[t][h] = m.claim(h << 32, static_cast<std::uint16_t>(t));
    });
  }
  for (auto& th : threads) th.join();
  int won[kThreads] = {};
  for (std::uint64_t h = 0; h < kHashes; ++h) {
    const std::uint16_t o = m.owner(h << 32, 99);
    ASSERT_LT(o, kThreads);
    ++won[o];
    for (int t = 0; t < kThreads; ++t) ASSERT_EQ(seen[t][h], o) << "hash " << h << " thread " << t;
  }
  int total = 0;
  for (int w : won) total += w;
  EXPECT_EQ(total, static_cast<int>(kHashes));
}

}  // namespace
}  // namespace duet::registrar
