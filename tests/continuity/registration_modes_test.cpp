// Registration modes: which mode a phone gets (DN, profile by User-Agent, built-in alcatel-4000)
// and what a binding change at either site means (backup released, anomaly flagged).
#include "duet/continuity/registration_modes.hpp"

#include <gtest/gtest.h>

namespace duet::continuity {
namespace {

using agents::Dn;
using agents::DnType;
using agents::RegistrationMode;
using V = RegistrationModes::Verdict;

class ModesTest : public ::testing::Test {
 protected:
  ModesTest() : model("a") {
    EXPECT_FALSE(model.create(Dn{"1001", DnType::extension, RegistrationMode::active_backup}));
    EXPECT_FALSE(model.create(Dn{"1002", DnType::extension, RegistrationMode::dual}));
    EXPECT_FALSE(model.create(Dn{"1003", DnType::extension, RegistrationMode::single}));
    EXPECT_FALSE(model.create(Dn{"1004", DnType::extension, RegistrationMode::by_profile}));
  }
  V local(std::string_view user, std::string_view key, bool peer_up, std::uint64_t ms, bool removed = false,
          std::string_view ua = "") {
    return modes.on_binding(true, user, "d", key, ua, removed, peer_up, ms);
  }
  V remote(std::string_view user, std::string_view key, bool peer_up, std::uint64_t ms, bool removed = false,
           std::string_view ua = "") {
    return modes.on_binding(false, user, "d", key, ua, removed, peer_up, ms);
  }
  agents::ConfigModel model;
  RegistrationModes modes{model, {Profile{"softphone", "^MySoft/", RegistrationMode::dual, Forward::off}}};
};

TEST_F(ModesTest, ResolvesFromTheDnThenTheProfileThenSingle) {
  EXPECT_EQ(modes.resolve("1001", "").mode, RegistrationMode::active_backup);
  EXPECT_TRUE(modes.resolve("1001", "").dn);
  // The DN's own mode wins over a matching profile, but the profile still names the forwarding.
  const auto r = modes.resolve("1002", "Alcatel IP Touch 4018");
  EXPECT_EQ(r.mode, RegistrationMode::dual);
  EXPECT_EQ(r.profile, "alcatel-4000");
  EXPECT_EQ(r.forward, Forward::no_agent);
  // auto: the User-Agent decides; configured profiles come before the built-in ones.
  EXPECT_EQ(modes.resolve("1004", "ALCATEL-LUCENT 4068 IP Touch").mode, RegistrationMode::active_backup);
  EXPECT_EQ(modes.resolve("1004", "MySoft/2.1 (Alcatel 4028 skin)").mode, RegistrationMode::dual);
  EXPECT_EQ(modes.resolve("1004", "Yealink SIP-T46S").mode, RegistrationMode::single);
  EXPECT_EQ(modes.resolve("1004", "Alcatel 8068").profile, "");  // not a 4000-series model
  EXPECT_FALSE(modes.resolve("5555", "Alcatel IP Touch 4028").dn);
}

TEST_F(ModesTest, BackupBindingIsReleasedWhenThePhoneReturnsToItsPrimary) {
  // The peer held the phone; the peer dies; the phone registers here (a backup registration).
  EXPECT_EQ(remote("1001", "k-b", true, 100), V::none);
  EXPECT_EQ(local("1001", "k-a", false, 200), V::none);
  // The peer is whole again and the phone registers there again, later than here: release ours.
  EXPECT_EQ(remote("1001", "k-b", true, 300), V::release_local);
  EXPECT_EQ(modes.releases(), 1u);
  EXPECT_FALSE(modes.flagged("1001@d", 0));
  // The release comes back as a local removal: nothing more happens.
  EXPECT_EQ(local("1001", "k-a", true, 301, true), V::none);
  EXPECT_EQ(modes.anomalies(), 0u);
}

TEST_F(ModesTest, AnOlderPeerBindingDoesNotReleaseANewerBackupOne) {
  EXPECT_EQ(local("1001", "k-a", false, 500), V::none);
  // The peer's snapshot brings its old binding (registered before ours): both live, flagged.
  EXPECT_EQ(remote("1001", "k-b", true, 100), V::anomaly);
  EXPECT_TRUE(modes.flagged("1001@d", 0));
  EXPECT_EQ(modes.releases(), 0u);
}

TEST_F(ModesTest, ActiveBackupOrSinglePhoneAtBothSitesWhileBothUpIsFlaggedNotDropped) {
  for (const char* dn : {"1001", "1003"}) {
    EXPECT_EQ(local(dn, "k-a", true, 100), V::none) << dn;
    EXPECT_EQ(remote(dn, "k-b", true, 200), V::anomaly) << dn;
    EXPECT_TRUE(modes.flagged(std::string(dn) + "@d", 0));
    EXPECT_EQ(remote(dn, "k-b", true, 300), V::none) << dn;  // counted once per episode
    EXPECT_EQ(remote(dn, "k-b", true, 400, true), V::none);  // gone at the peer: no longer flagged
    EXPECT_FALSE(modes.flagged(std::string(dn) + "@d", 0));
  }
  EXPECT_EQ(modes.anomalies(), 2u);
  EXPECT_EQ(modes.summary(0)["anomalies"], 2);
}

TEST_F(ModesTest, DualPhonesAndNonAgentAorsAreNotTracked) {
  EXPECT_EQ(local("1002", "k-a", true, 100), V::none);
  EXPECT_EQ(remote("1002", "k-b", true, 200), V::none);
  EXPECT_EQ(local("7777", "k-a", true, 100), V::none);
  EXPECT_EQ(remote("7777", "k-b", true, 200), V::none);
  EXPECT_EQ(modes.tracked(), 0u);
  // An auto DN whose phone is an Alcatel 4000 is active-backup: tracked.
  EXPECT_EQ(local("1004", "k-a", true, 100, false, "Alcatel IP Touch 4038"), V::none);
  EXPECT_EQ(remote("1004", "k-b", true, 200, false, "Alcatel IP Touch 4038"), V::anomaly);
  EXPECT_EQ(modes.summary(0)["flagged"][0]["profile"], "alcatel-4000");
}

TEST_F(ModesTest, ReturnToThePrimaryIsNotAnAnomalyWhileThePeerReleases) {
  using RM = RegistrationModes;
  // Here is the primary: the phone is back (a newer registration than the peer's backup one).
  EXPECT_EQ(remote("1001", "k-b", false, 100), V::none);
  EXPECT_EQ(local("1001", "k-a", true, 200), V::none);
  EXPECT_FALSE(modes.flagged("1001@d", 200 + RM::kReleaseGraceMs - 1));
  // The peer releases its backup binding in time: never flagged, nothing counted.
  EXPECT_EQ(remote("1001", "k-b", true, 300, true), V::none);
  EXPECT_FALSE(modes.flagged("1001@d", 200 + 10 * RM::kReleaseGraceMs));
  EXPECT_EQ(modes.anomalies(), 0u);
}

TEST_F(ModesTest, APeerThatKeepsItsOlderBindingPastTheGraceIsFlagged) {
  using RM = RegistrationModes;
  EXPECT_EQ(remote("1001", "k-b", true, 100), V::none);
  EXPECT_EQ(local("1001", "k-a", true, 200), V::none);
  EXPECT_FALSE(modes.flagged("1001@d", 200));
  EXPECT_TRUE(modes.sweep(200 + RM::kReleaseGraceMs - 1).empty());
  EXPECT_TRUE(modes.flagged("1001@d", 200 + RM::kReleaseGraceMs));
  // Promoted by a look through the API: the next sweep still reports it, once.
  EXPECT_EQ(modes.sweep(250 + RM::kReleaseGraceMs), std::vector<std::string>{"1001@d"});
  EXPECT_TRUE(modes.sweep(260 + RM::kReleaseGraceMs).empty());
  EXPECT_EQ(modes.anomalies(), 1u);
  EXPECT_EQ(modes.summary(300 + RM::kReleaseGraceMs)["flagged"].size(), 1u);
  EXPECT_EQ(modes.anomalies(), 1u) << "counted once";
}

TEST_F(ModesTest, RemovalsOfUnknownBindingsAreHarmless) {
  EXPECT_EQ(local("1001", "nope", true, 1, true), V::none);
  EXPECT_EQ(remote("9999", "nope", true, 1, true), V::none);
  EXPECT_EQ(modes.tracked(), 0u);
}

}  // namespace
}  // namespace duet::continuity
