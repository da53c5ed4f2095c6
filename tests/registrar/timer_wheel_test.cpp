// The hierarchical wheel fires every node once, never before its due time and at most one tick
// after, across all levels and beyond the wheel's span.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "duet/registrar/timer_wheel.hpp"

namespace duet::registrar {
namespace {

struct Item {
  TimerNode node;
  int fired = 0;
  std::uint64_t fired_at = 0;
};

Item* item_of(TimerNode& n) {
  return reinterpret_cast<Item*>(&n);
}

TEST(TimerWheel, FiresAtDueTimeAcrossLevels) {
  const std::uint64_t start = 5'000'000;
  for (std::uint64_t delay_s :
       {1ull, 63ull, 64ull, 65ull, 4095ull, 4096ull, 4097ull, 86400ull, 300000ull, (1ull << 24) + 5}) {
    TimerWheel w(start, 1000);
    Item it;
    const std::uint64_t due = start + delay_s * 1000;
    w.schedule(it.node, due);
    std::uint64_t now = start;
    // Walk in uneven steps to the second before, then the exact due time.
    while (now + 7777 < due - 1000) {
      now += 7777;
      w.advance(now, [&](TimerNode& n) { item_of(n)->fired++; });
    }
    w.advance(due - 1, [&](TimerNode& n) { item_of(n)->fired++; });
    EXPECT_EQ(it.fired, 0) << "fired early for delay " << delay_s;
    w.advance(due, [&](TimerNode& n) { item_of(n)->fired++; });
    EXPECT_EQ(it.fired, 1) << "delay " << delay_s;
    EXPECT_EQ(w.size(), 0u);
  }
}

TEST(TimerWheel, CancelAndRescheduleAndPastDue) {
  TimerWheel w(0, 100);
  Item a, b, c;
  w.schedule(a.node, 1000);
  w.schedule(b.node, 1000);
  w.schedule(c.node, 0);  // already due: fires at the next tick
  w.cancel(a.node);
  w.schedule(b.node, 5000);
  EXPECT_EQ(w.size(), 2u);
  auto fire = [](TimerNode& n) { item_of(n)->fired++; };
  EXPECT_EQ(w.advance(100, fire), 1u);
  EXPECT_EQ(c.fired, 1);
  w.advance(4900, fire);
  EXPECT_EQ(b.fired, 0);
  w.advance(5000, fire);
  EXPECT_EQ(b.fired, 1);
  EXPECT_EQ(a.fired, 0);
  EXPECT_FALSE(a.node.scheduled());
}

TEST(TimerWheel, RandomScheduleMatchesModel) {
  std::mt19937_64 rng(42);
  constexpr std::uint32_t kTick = 250;
  const std::uint64_t start = 123'457;
  TimerWheel w(start, kTick);
  std::vector<Item> items(5000);
  for (auto& it : items) w.schedule(it.node, start + rng() % 20'000'000);
  // Reschedule and cancel some.
  for (std::size_t i = 0; i < items.size(); i += 7) w.schedule(items[i].node, start + rng() % 40'000'000);
  for (std::size_t i = 3; i < items.size(); i += 11) w.cancel(items[i].node);
  std::uint64_t now = start;
  while (w.size() != 0) {
    now += 1 + rng() % 300'000;
    w.advance(now, [&](TimerNode& n) {
      Item* it = item_of(n);
      it->fired++;
      it->fired_at = now;
    });
  }
  for (std::size_t i = 0; i < items.size(); ++i) {
    const Item& it = items[i];
    if (i % 11 == 3) {
      EXPECT_EQ(it.fired, 0);
      continue;
    }
    ASSERT_EQ(it.fired, 1) << i;
    EXPECT_GE(it.fired_at, it.node.due_ms) << i;
  }
}

TEST(TimerWheel, FiresWithinOneTickWhenAdvancedEveryTick) {
  std::mt19937_64 rng(7);
  TimerWheel w(0, 1000);
  std::vector<Item> items(2000);
  for (auto& it : items) w.schedule(it.node, 1 + rng() % 10'000'000);
  for (std::uint64_t now = 0; w.size() != 0; now += 1000) {
    w.advance(now, [&](TimerNode& n) {
      item_of(n)->fired++;
      item_of(n)->fired_at = now;
    });
  }
  for (const auto& it : items) {
    EXPECT_EQ(it.fired, 1);
    EXPECT_GE(it.fired_at, it.node.due_ms);
    EXPECT_LT(it.fired_at, it.node.due_ms + 1000);
  }
}

TEST(TimerWheel, BudgetSpreadsAMassExpiryOverCalls) {
  TimerWheel w(0, 1000);
  std::vector<Item> items(1000);
  for (std::size_t i = 0; i < items.size(); ++i) w.schedule(items[i].node, 5000 + (i % 3) * 1000);  // 3 ticks
  Item later;
  w.schedule(later.node, 60'000);
  auto fire = [](TimerNode& n) { item_of(n)->fired++; };
  std::size_t total = 0, calls = 0;
  do {
    const std::size_t n = w.advance(10'000, fire, 64);
    EXPECT_LE(n, 64u);
    total += n;
    ++calls;
  } while (w.backlog() && calls < 100);
  EXPECT_EQ(total, items.size());
  EXPECT_EQ(calls, (items.size() + 63) / 64);
  for (const auto& it : items) EXPECT_EQ(it.fired, 1);
  EXPECT_EQ(later.fired, 0);
  EXPECT_EQ(w.size(), 1u);
  // A node scheduled while a backlog is pending still fires on time.
  Item mid;
  w.schedule(mid.node, 30'000);
  w.advance(30'000, fire);
  EXPECT_EQ(mid.fired, 1);
  EXPECT_EQ(later.fired, 0);
  w.advance(60'000, fire);
  EXPECT_EQ(later.fired, 1);
}

}  // namespace
}  // namespace duet::registrar
