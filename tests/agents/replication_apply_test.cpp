// apply(): the conflict rule (higher HLC wins, ties to the larger site name, never arrival
// order), tombstones, snapshot and tombstone collection.
#include <gtest/gtest.h>

#include <algorithm>

#include "duet/agents/config_model.hpp"

namespace duet::agents {
namespace {

ConfigRecord user_rec(const std::string& id, const std::string& name, std::uint64_t hlc,
                      const std::string& origin, std::uint64_t version = 1) {
  return ConfigRecord{"user/" + id, Stamp{hlc, origin, version}, false,
                      R"({"id":")" + id + R"(","name":")" + name + R"("})"};
}
ConfigRecord tomb(const std::string& key, std::uint64_t hlc, const std::string& origin,
                  std::uint64_t version = 1) {
  return ConfigRecord{key, Stamp{hlc, origin, version}, true, {}};
}
std::string name_of(const ConfigModel& m, const std::string& id) {
  const auto* e = m.find(Kind::user, id);
  return e ? std::get<User>(e->object).name : "<none>";
}

TEST(ConflictRule, HigherHlcWinsThenLargerSiteName) {
  EXPECT_TRUE(newer(Stamp{2, "a", 1}, Stamp{1, "b", 9}));
  EXPECT_FALSE(newer(Stamp{1, "b", 9}, Stamp{2, "a", 1}));
  EXPECT_TRUE(newer(Stamp{5, "b", 1}, Stamp{5, "a", 1}));
  EXPECT_FALSE(newer(Stamp{5, "a", 1}, Stamp{5, "b", 1}));
  EXPECT_FALSE(newer(Stamp{5, "a", 1}, Stamp{5, "a", 1}));  // a duplicate is not newer
}

// The same two concurrent changes delivered in either order give the same winner.
TEST(ConflictRule, ArrivalOrderDoesNotMatter) {
  const auto x = user_rec("u1", "from-a", 100, "a");
  const auto y = user_rec("u1", "from-b", 100, "b");
  const auto z = user_rec("u1", "older", 99, "z");
  for (int order = 0; order < 6; ++order) {
    std::vector<ConfigRecord> recs{x, y, z};
    for (int i = 0; i < order; ++i)
      std::next_permutation(recs.begin(), recs.end(),
                            [](auto& l, auto& r) { return l.stamp.origin < r.stamp.origin; });
    ConfigModel m("c", [] { return std::uint64_t{1}; });
    for (const auto& r : recs) m.apply(r);
    EXPECT_EQ(name_of(m, "u1"), "from-b") << "order " << order;
  }
}

TEST(Apply, OlderRecordIsRejectedAndLocalChangesBeatWhatWasSeen) {
  ConfigModel m("a", [] { return std::uint64_t{1}; });  // wall clock far behind the peer's
  const std::uint64_t peer_hlc = HybridClock::pack(5'000'000, 3);
  EXPECT_EQ(m.apply(user_rec("u1", "peer", peer_hlc, "b")), ApplyResult::accepted);
  EXPECT_EQ(m.apply(user_rec("u1", "stale", peer_hlc - 1, "b")), ApplyResult::rejected_older);
  EXPECT_EQ(m.apply(user_rec("u1", "peer", peer_hlc, "b")), ApplyResult::rejected_older);
  EXPECT_EQ(name_of(m, "u1"), "peer");
  // A later local edit must win at both sites even though our wall clock lags: the HLC saw peer_hlc.
  std::vector<ConfigRecord> out;
  m.set_change_hook([&](const ConfigRecord& r) {
    out.push_back(r);
    return std::uint64_t{0};
  });
  ASSERT_FALSE(m.update(User{"u1", "local"}));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_GT(out[0].stamp.hlc, peer_hlc);
  ConfigModel peer("b", [] { return std::uint64_t{5'000'000}; });
  peer.apply(user_rec("u1", "peer", peer_hlc, "b"));
  EXPECT_EQ(peer.apply(out[0]), ApplyResult::accepted);
  EXPECT_EQ(name_of(peer, "u1"), "local");
}

TEST(Apply, TombstoneStopsAnOlderCreateFromResurrecting) {
  ConfigModel m("a", [] { return std::uint64_t{1}; });
  EXPECT_EQ(m.apply(tomb("user/u1", 200, "b", 7)), ApplyResult::accepted);  // delete arrives first
  EXPECT_EQ(m.apply(user_rec("u1", "old", 150, "b", 5)), ApplyResult::rejected_older);
  EXPECT_EQ(m.find(Kind::user, "u1"), nullptr);
  EXPECT_EQ(m.apply(user_rec("u1", "new", 250, "b", 8)), ApplyResult::accepted);
  EXPECT_EQ(name_of(m, "u1"), "new");
  EXPECT_EQ(m.tombstones(Kind::user).count("u1"), 0u);
  EXPECT_EQ(m.apply(tomb("user/u1", 260, "b", 9)), ApplyResult::accepted);
  EXPECT_EQ(m.find(Kind::user, "u1"), nullptr);
}

TEST(Apply, BadRecordsChangeNothing) {
  ConfigModel m("a");
  EXPECT_EQ(m.apply(ConfigRecord{"nokey", Stamp{1, "b", 1}, false, "{}"}), ApplyResult::rejected_invalid);
  EXPECT_EQ(m.apply(ConfigRecord{"car/1", Stamp{1, "b", 1}, false, "{}"}), ApplyResult::rejected_invalid);
  EXPECT_EQ(m.apply(ConfigRecord{"user/u1", Stamp{1, "b", 1}, false, "{not json"}),
            ApplyResult::rejected_invalid);
  EXPECT_EQ(m.apply(ConfigRecord{"user/u1", Stamp{1, "b", 1}, false, R"({"id":"u2"})"}),
            ApplyResult::rejected_invalid);  // key and payload disagree
  EXPECT_EQ(m.apply(ConfigRecord{"dn/1", Stamp{1, "b", 1}, false, R"({"number":"1","type":"fax"})"}),
            ApplyResult::rejected_invalid);
  EXPECT_EQ(m.apply(user_rec("u1", "x", 1, "")), ApplyResult::rejected_invalid);  // no origin
  EXPECT_EQ(m.size(), 0u);
}

TEST(Snapshot, RoundTripsIntoAnEmptyPeerIncludingTombstones) {
  ConfigModel a("a");
  ASSERT_FALSE(a.create(Dn{"1001", DnType::extension, RegistrationMode::active_backup}));
  ASSERT_FALSE(a.create(Dn{"2001", DnType::extension, RegistrationMode::dual}));
  ASSERT_FALSE(a.create(Place{"p", {"1001", "2001"}}));
  ASSERT_FALSE(a.create(User{"u", "U"}));
  ASSERT_FALSE(a.create(AgentLogin{"1", "u", "p", "1001", "2001"}));
  ASSERT_FALSE(a.create(User{"gone", ""}));
  ASSERT_FALSE(a.remove(Kind::user, "gone"));
  const auto snap = a.snapshot();
  EXPECT_EQ(snap.size(), 6u);
  ConfigModel b("b");
  for (const auto& r : snap) EXPECT_EQ(b.apply(r), ApplyResult::accepted) << r.key;
  for (Kind k : kAllKinds) {
    ASSERT_EQ(a.table(k).size(), b.table(k).size());
    for (const auto& [id, e] : a.table(k)) {
      ASSERT_NE(b.find(k, id), nullptr);
      EXPECT_EQ(b.find(k, id)->object, e.object);
      EXPECT_EQ(b.find(k, id)->stamp, e.stamp);
    }
  }
  EXPECT_EQ(b.tombstones(Kind::user).count("gone"), 1u);
  EXPECT_TRUE(b.check_all().empty());
  // Applying the same snapshot again changes nothing.
  for (const auto& r : snap) EXPECT_EQ(b.apply(r), ApplyResult::rejected_older);
}

TEST(Tombstones, ForgottenOnlyForTheOriginUpToTheAckedVersion) {
  ConfigModel m("a");
  m.apply(tomb("user/x", 10, "b", 3));
  m.apply(tomb("user/y", 11, "b", 5));
  m.apply(tomb("dn/z", 12, "c", 1));
  EXPECT_EQ(m.forget_tombstones("b", 4), 1u);
  EXPECT_EQ(m.tombstones(Kind::user).count("x"), 0u);
  EXPECT_EQ(m.tombstones(Kind::user).count("y"), 1u);
  EXPECT_EQ(m.tombstones(Kind::dn).count("z"), 1u);
}

TEST(Merge, ConcurrentChangesThatBreakARuleAreReportedNotRefused) {
  // Site a deletes the user while site b creates a login for it: both apply both records and
  // converge; check_all() shows the dangling reference.
  ConfigModel m("a");
  ASSERT_EQ(m.apply(ConfigRecord{"login/1", Stamp{20, "b", 2}, false, R"({"code":"1","user":"u"})"}),
            ApplyResult::accepted);
  const auto problems = m.check_all();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].first, "login/1");
  EXPECT_EQ(problems[0].second.field, "user");
}

}  // namespace
}  // namespace duet::agents
