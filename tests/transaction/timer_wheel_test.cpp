// The header-only wheel: never early, at most one tick late, one firing per schedule, O(1) moves.
#include <gtest/gtest.h>

#include <vector>

#include "duet/transaction/timer_wheel.hpp"

namespace duet::transaction {
namespace {

struct Item : TimerNode {
  int id = 0;
  std::uint64_t fired_at = 0;
  int fired = 0;
};

// Advances w to now, recording each firing in its Item.
void advance_recording(TimerWheel& w, std::uint64_t now) {
  w.advance(now, [now](TimerNode& n) {
    auto& it = static_cast<Item&>(n);
    it.fired_at = now;
    ++it.fired;
  });
}

// The wheel's promise: each item fired once, never before its due time, at most a tick after.
void expect_each_fired_once_on_time(const std::vector<Item>& items, std::uint64_t tick_ms) {
  for (const Item& it : items) {
    EXPECT_EQ(it.fired, 1) << it.id;
    EXPECT_GE(it.fired_at, it.due_ms) << it.id;
    EXPECT_LE(it.fired_at, it.due_ms + tick_ms) << it.id;
  }
}

TEST(TxnTimerWheel, FiresNeverEarlyAndAtMostOneTickLate) {
  TimerWheel w(1000, 10);
  std::vector<Item> items(300);
  for (int i = 0; i < 300; ++i) {
    items[i].id = i;
    w.schedule(items[i], 1000 + static_cast<std::uint64_t>(i) * 137 + 3);  // up to ~41 s: crosses levels
  }
  for (std::uint64_t now = 1000; now <= 50000; now += 10) advance_recording(w, now);
  expect_each_fired_once_on_time(items, 10);
  EXPECT_EQ(w.size(), 0u);
}

TEST(TxnTimerWheel, RescheduleReplacesAndCancelRemoves) {
  TimerWheel w(0, 10);
  Item a, b;
  w.schedule(a, 100);
  w.schedule(a, 300);  // replaces 100
  w.schedule(b, 200);
  w.cancel(b);
  w.cancel(b);  // twice is harmless
  EXPECT_EQ(w.size(), 1u);
  std::vector<std::uint64_t> fired;
  for (std::uint64_t now = 0; now <= 1000; now += 10) {
    w.advance(now, [&](TimerNode& n) {
      fired.push_back(now);
      static_cast<Item&>(n).fired++;
    });
  }
  EXPECT_EQ(fired, std::vector<std::uint64_t>{300});
  EXPECT_EQ(b.fired, 0);
}

TEST(TxnTimerWheel, ScheduledFromACallbackWaitsForALaterAdvance) {
  TimerWheel w(0, 10);
  Item a;
  w.schedule(a, 10);
  int fires = 0;
  const auto again = [&](TimerNode& n) {
    ++fires;
    w.schedule(n, 10);  // already past: next tick, not this call
  };
  EXPECT_EQ(w.advance(10, again), 1u);
  EXPECT_EQ(fires, 1);
  EXPECT_EQ(w.advance(10, again), 0u);
  EXPECT_EQ(w.advance(20, again), 1u);
  EXPECT_EQ(fires, 2);
}

TEST(TxnTimerWheel, BudgetLeavesTheRestForTheNextCall) {
  TimerWheel w(0, 10);
  std::vector<Item> items(10);
  for (auto& it : items) w.schedule(it, 50);
  std::size_t n = w.advance(
      100, [](TimerNode&) {}, 4);
  EXPECT_EQ(n, 4u);
  EXPECT_TRUE(w.backlog());
  n = w.advance(
      100, [](TimerNode&) {}, 100);
  EXPECT_EQ(n, 6u);
  EXPECT_FALSE(w.backlog());
}

TEST(TxnTimerWheel, DeadlinesBeyondTheSpanStillFireOnTime) {
  TimerWheel w(0, 1);  // 1 ms ticks: a span of 16.7e6 ms
  Item far;
  const std::uint64_t due = TimerWheel::kSpanTicks + 5000;
  w.schedule(far, due);
  std::uint64_t fired_at = 0;
  for (std::uint64_t now = 0; now <= due + 2 * 997; now += 997) {
    w.advance(now, [&](TimerNode&) { fired_at = now; });
  }
  EXPECT_GE(fired_at, due);
  EXPECT_LT(fired_at, due + 997);
}

TEST(TxnTimerWheel, AnOwnerThatSleepsUntilNextAdvanceFiresEveryNodeOnTimeWithFewWakeUps) {
  // Waking only at next_advance_ms() must fire every node as an every-tick loop would (never
  // early, at most one tick late), with far fewer wake-ups when the nodes are far apart.
  TimerWheel w(1000, 10);
  EXPECT_EQ(w.next_advance_ms(), TimerWheel::kNever);
  std::vector<Item> items(40);
  for (int i = 0; i < 40; ++i) {
    items[i].id = i;
    // Spread from 35 ms to ~50 s: level 0, and the upper levels that cascade down.
    w.schedule(items[i], 1000 + 35 + static_cast<std::uint64_t>(i) * i * 31);
  }
  EXPECT_EQ(w.earliest_scheduled_ms(), 1040u);  // 1035 rounded up to its tick
  EXPECT_EQ(w.next_advance_ms(), 1040u);
  w.reset_earliest_scheduled();
  EXPECT_EQ(w.earliest_scheduled_ms(), TimerWheel::kNever);
  int wakeups = 0;
  for (std::uint64_t now = 1000; wakeups < 10000;) {
    const std::uint64_t next = w.next_advance_ms();
    if (next == TimerWheel::kNever) break;
    ASSERT_GT(next, now);
    now = next;
    ++wakeups;
    advance_recording(w, now);
  }
  expect_each_fired_once_on_time(items, 10);
  // ~50 s at one wake-up per 640 ms wrap at most, plus one per node: not the 5,000 ticks.
  EXPECT_LT(wakeups, 40 + 50000 / 640 + 2);
}

}  // namespace
}  // namespace duet::transaction
