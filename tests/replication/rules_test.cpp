// Versions, the HLC, the conflict rule and tombstones: the rules the peers get wrong.
#include <gtest/gtest.h>

#include "duet/replication/hlc.hpp"
#include "duet/replication/local_store.hpp"
#include "duet/replication/record.hpp"

namespace duet::replication {
namespace {

TEST(Hlc, NeverGoesBackAndPassesWhatItSaw) {
  HybridClock c;
  const auto t1 = c.now(1000);
  const auto t2 = c.now(1000);  // same millisecond: the counter moves
  EXPECT_GT(t2, t1);
  const auto t3 = c.now(900);  // wall clock stepped back: still later
  EXPECT_GT(t3, t2);
  c.observe((5000ull << 16) | 3, 1000);  // the peer is ahead
  const auto t4 = c.now(1000);
  EXPECT_GT(t4, (5000ull << 16) | 3);
  EXPECT_EQ(HybridClock::physical(t4), 5000u);
  const auto t5 = c.now(6000);  // wall catches up: back to the wall clock
  EXPECT_EQ(t5, 6000ull << 16);
}

TEST(ConflictRule, HigherHlcWinsRegardlessOfArrivalOrder) {
  const RecordView older{RecordKind::config, false, "b", 10, 100, "dns/1", "x"};
  const RecordView newer{RecordKind::config, false, "a", 3, 200, "dns/1", "y"};
  EXPECT_TRUE(wins_over(newer, older));
  EXPECT_FALSE(wins_over(older, newer));  // the per-origin version plays no part across origins
}

TEST(ConflictRule, TieBrokenByLargerSiteName) {
  const RecordView a{RecordKind::config, false, "a", 1, 500, "k", "x"};
  const RecordView b{RecordKind::config, false, "b", 1, 500, "k", "y"};
  EXPECT_TRUE(wins_over(b, a));
  EXPECT_FALSE(wins_over(a, b));
  EXPECT_FALSE(wins_over(a, a));  // a record does not beat itself
}

TEST(ConflictRule, TombstoneFollowsTheSameRule) {
  const RecordView live{RecordKind::config, false, "a", 1, 500, "k", "x"};
  const RecordView del_late{RecordKind::config, true, "b", 1, 600, "k", ""};
  const RecordView del_early{RecordKind::config, true, "b", 1, 400, "k", ""};
  EXPECT_TRUE(wins_over(del_late, live));
  EXPECT_FALSE(wins_over(del_early, live));
}

TEST(LocalStore, VersionsStrictlyIncreasePerOrigin) {
  LocalStore s("a", 100);
  EXPECT_EQ(s.put(RecordKind::binding, "k1", "p", false, 1), 1u);
  EXPECT_EQ(s.put(RecordKind::binding, "k2", "p", false, 2), 2u);
  EXPECT_EQ(s.put(RecordKind::binding, "k1", "q", false, 3), 3u);
  EXPECT_EQ(s.newest(), 3u);
  EXPECT_EQ(s.live(), 2u);
  ASSERT_NE(s.find("k1"), nullptr);
  EXPECT_EQ(s.find("k1")->payload, "q");
  EXPECT_EQ(s.find("k1")->version, 3u);
  // Version 1 was superseded by version 3: the log skips it.
  EXPECT_EQ(s.at_version(1), nullptr);
  ASSERT_NE(s.at_version(3), nullptr);
  EXPECT_EQ(s.at_version(3)->key, "k1");
}

TEST(LocalStore, DeleteMakesATombstoneKeptUntilAcknowledged) {
  LocalStore s("a", 100);
  s.put(RecordKind::binding, "k1", "p", false, 1);
  const auto v = s.put(RecordKind::binding, "k1", "", true, 2);
  EXPECT_EQ(v, 2u);
  ASSERT_NE(s.find("k1"), nullptr);
  EXPECT_TRUE(s.find("k1")->deleted);
  EXPECT_EQ(s.live(), 0u);
  EXPECT_EQ(s.tombstones(), 1u);
  ASSERT_NE(s.at_version(2), nullptr);  // the delete travels as a delta
  EXPECT_TRUE(s.at_version(2)->deleted);
  s.collect(1);  // the peer holds only version 1: keep it
  EXPECT_EQ(s.tombstones(), 1u);
  EXPECT_NE(s.find("k1"), nullptr);
  s.collect(2);
  EXPECT_EQ(s.tombstones(), 0u);
  EXPECT_EQ(s.find("k1"), nullptr);
  // Deleting what does not exist changes nothing and takes no version.
  EXPECT_EQ(s.put(RecordKind::binding, "k1", "", true, 3), 0u);
  EXPECT_EQ(s.newest(), 2u);
}

TEST(LocalStore, TombstoneOfAReAddedKeyIsNotCollected) {
  LocalStore s("a", 100);
  s.put(RecordKind::binding, "k1", "p", false, 1);
  s.put(RecordKind::binding, "k1", "", true, 2);
  s.put(RecordKind::binding, "k1", "again", false, 3);
  s.collect(3);
  ASSERT_NE(s.find("k1"), nullptr);
  EXPECT_FALSE(s.find("k1")->deleted);
  EXPECT_EQ(s.find("k1")->payload, "again");
}

TEST(LocalStore, ResumeOnlyWhileTheLogCoversTheGap) {
  LocalStore s("a", 4);
  for (int i = 0; i < 10; ++i) s.put(RecordKind::binding, "k" + std::to_string(i), "p", false, 1);
  EXPECT_EQ(s.newest(), 10u);
  EXPECT_TRUE(s.covers(10));   // nothing to send
  EXPECT_TRUE(s.covers(6));    // 7..10 are in the ring
  EXPECT_FALSE(s.covers(5));   // 6 left the ring: snapshot
  EXPECT_FALSE(s.covers(11));  // a version we never made: snapshot
  EXPECT_EQ(s.at_version(6), nullptr);
  EXPECT_NE(s.at_version(7), nullptr);
}

TEST(LocalStore, TombstonesOutOfTheLogAreCollectedWithoutAck) {
  LocalStore s("a", 2);
  s.put(RecordKind::binding, "k1", "p", false, 1);
  s.put(RecordKind::binding, "k1", "", true, 2);
  s.put(RecordKind::binding, "k2", "p", false, 3);
  s.put(RecordKind::binding, "k3", "p", false, 4);
  s.put(RecordKind::binding, "k4", "p", false, 5);
  s.collect(0);  // no ack at all, but version 2 is out of the log: a peer needs a snapshot anyway
  EXPECT_EQ(s.tombstones(), 0u);
  EXPECT_EQ(s.find("k1"), nullptr);
}

TEST(LocalStore, SlotsReusedAndIndexSurvivesGrowth) {
  LocalStore s("a", 1u << 16);
  for (int i = 0; i < 5000; ++i) s.put(RecordKind::binding, "key-" + std::to_string(i), "p", false, 1);
  for (int i = 0; i < 5000; ++i) ASSERT_NE(s.find("key-" + std::to_string(i)), nullptr) << i;
  for (int i = 0; i < 100; ++i) s.put(RecordKind::binding, "key-" + std::to_string(i), "", true, 1);
  s.collect(s.newest());
  const auto slots = s.slot_count();
  for (int i = 0; i < 100; ++i) s.put(RecordKind::binding, "new-" + std::to_string(i), "p", false, 1);
  EXPECT_EQ(s.slot_count(), slots);  // freed slots reused
  EXPECT_EQ(s.live(), 5000u);
}

}  // namespace
}  // namespace duet::replication
