// Local changes: the seed's rules (only Extension DNs are agent DNs; preferred and peer Extension
// DNs in the same Place), references, duplicates, and the records the change hook sees.
#include <gtest/gtest.h>

#include "duet/agents/config_model.hpp"

namespace duet::agents {
namespace {

Dn ext(const std::string& n) {
  return Dn{n, DnType::extension, RegistrationMode::single};
}

class ModelRules : public ::testing::Test {
 protected:
  void SetUp() override {
    m.set_change_hook([this](const ConfigRecord& r) {
      records.push_back(r);
      return std::uint64_t{0};
    });
    ASSERT_FALSE(m.create(ext("1001")));
    ASSERT_FALSE(m.create(ext("2001")));
    ASSERT_FALSE(m.create(Dn{"7000", DnType::acd_queue, RegistrationMode::single}));
    ASSERT_FALSE(m.create(Place{"p1", {"1001", "2001"}}));
    ASSERT_FALSE(m.create(User{"u1", "Agent One"}));
    records.clear();
  }
  static ErrorCode code(const Outcome& o) { return o ? o->code : static_cast<ErrorCode>(99); }

  ConfigModel m{"a", [] { return std::uint64_t{1000}; }};
  std::vector<ConfigRecord> records;
};

TEST_F(ModelRules, ValidLoginIsStoredAndReplicated) {
  EXPECT_FALSE(m.create(AgentLogin{"1001", "u1", "p1", "1001", "2001"}));
  ASSERT_NE(m.find(Kind::login, "1001"), nullptr);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].key, "login/1001");
  EXPECT_EQ(records[0].stamp.origin, "a");
  EXPECT_FALSE(records[0].deleted);
  EXPECT_NE(records[0].payload.find("\"peer_dn\":\"2001\""), std::string::npos);
}

TEST_F(ModelRules, LoginNamingMissingUserIsRefused) {
  auto err = m.create(AgentLogin{"1001", "nobody", "", "", ""});
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code, ErrorCode::conflict);
  EXPECT_EQ(err->field, "user");
  EXPECT_NE(err->message.find("User 'nobody', which does not exist"), std::string::npos) << err->message;
  EXPECT_EQ(m.find(Kind::login, "1001"), nullptr);
  EXPECT_TRUE(records.empty());
}

TEST_F(ModelRules, OnlyExtensionDnsCanBeAgentDns) {
  ASSERT_FALSE(m.create(Place{"q", {"7000"}}));
  auto err = m.create(AgentLogin{"1001", "u1", "q", "7000", ""});
  ASSERT_TRUE(err);
  EXPECT_EQ(err->field, "dn");
  EXPECT_NE(err->message.find("only Extension DNs can be agent DNs"), std::string::npos) << err->message;
  // Working at a Place without a named DN makes every DN of the Place an agent DN.
  err = m.create(AgentLogin{"1002", "u1", "q", "", ""});
  ASSERT_TRUE(err);
  EXPECT_EQ(err->field, "place");
}

TEST_F(ModelRules, PreferredAndPeerDnMustShareAPlace) {
  ASSERT_FALSE(m.create(ext("3001")));
  ASSERT_FALSE(m.create(Place{"p3", {"3001"}}));
  auto err = m.create(AgentLogin{"1001", "u1", "", "1001", "3001"});
  ASSERT_TRUE(err);
  EXPECT_EQ(err->field, "peer_dn");
  EXPECT_NE(err->message.find("same Place"), std::string::npos) << err->message;
  err = m.create(AgentLogin{"1001", "u1", "p1", "1001", "3001"});
  ASSERT_TRUE(err);
  EXPECT_EQ(err->field, "peer_dn");
  EXPECT_FALSE(m.create(AgentLogin{"1001", "u1", "", "1001", "2001"}));
}

TEST_F(ModelRules, DuplicatesAreConflicts) {
  EXPECT_EQ(code(m.create(ext("1001"))), ErrorCode::conflict);
  EXPECT_EQ(code(m.create(User{"u1", "again"})), ErrorCode::conflict);
  // A DN belongs to one Place.
  auto err = m.create(Place{"p2", {"1001"}});
  ASSERT_TRUE(err);
  EXPECT_EQ(err->field, "dns[0]");
  EXPECT_EQ(m.find(Kind::place, "p2"), nullptr);
}

TEST_F(ModelRules, PlaceNamingMissingDnIsRefused) {
  auto err = m.create(Place{"p2", {"9999"}});
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code, ErrorCode::conflict);
  EXPECT_EQ(err->field, "dns[0]");
}

TEST_F(ModelRules, UpdateThatBreaksALoginIsRolledBack) {
  ASSERT_FALSE(m.create(AgentLogin{"1001", "u1", "p1", "1001", "2001"}));
  records.clear();
  auto err = m.update(Dn{"2001", DnType::cpp, RegistrationMode::single});
  ASSERT_TRUE(err);
  EXPECT_EQ(err->field, "type");
  EXPECT_EQ(std::get<Dn>(m.find(Kind::dn, "2001")->object).type, DnType::extension);
  err = m.update(Place{"p1", {"1001"}});  // drops the peer DN the login needs
  ASSERT_TRUE(err);
  EXPECT_EQ(std::get<Place>(m.find(Kind::place, "p1")->object).dns.size(), 2u);
  EXPECT_TRUE(records.empty());
  // A harmless update goes through and is replicated.
  EXPECT_FALSE(m.update(Dn{"2001", DnType::extension, RegistrationMode::dual}));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].key, "dn/2001");
}

TEST_F(ModelRules, UpdateOfMissingObjectIsNotFound) {
  EXPECT_EQ(code(m.update(ext("5555"))), ErrorCode::not_found);
  EXPECT_EQ(code(m.remove(Kind::user, "u9")), ErrorCode::not_found);
}

TEST_F(ModelRules, ReferencedObjectsCannotBeRemoved) {
  ASSERT_FALSE(m.create(AgentLogin{"1001", "u1", "p1", "1001", "2001"}));
  EXPECT_EQ(code(m.remove(Kind::user, "u1")), ErrorCode::conflict);
  EXPECT_EQ(code(m.remove(Kind::place, "p1")), ErrorCode::conflict);
  EXPECT_EQ(code(m.remove(Kind::dn, "1001")), ErrorCode::conflict);
  records.clear();
  EXPECT_FALSE(m.remove(Kind::login, "1001"));
  EXPECT_FALSE(m.remove(Kind::place, "p1"));
  EXPECT_FALSE(m.remove(Kind::dn, "1001"));
  ASSERT_EQ(records.size(), 3u);
  EXPECT_TRUE(records[2].deleted);
  EXPECT_EQ(records[2].key, "dn/1001");
  EXPECT_TRUE(records[2].payload.empty());
  EXPECT_EQ(m.tombstones(Kind::dn).count("1001"), 1u);
  // Removing the DN also released it from its index: another Place may now take 2001.
  EXPECT_FALSE(m.create(Place{"p9", {"2001"}}));
}

// The reference indexes follow updates and peer records: what a login no longer names is free.
TEST_F(ModelRules, ReferencesFollowUpdatesAndAppliedRecords) {
  ASSERT_FALSE(m.create(User{"u2", ""}));
  ASSERT_FALSE(m.create(AgentLogin{"1001", "u1", "p1", "1001", ""}));
  ASSERT_FALSE(m.update(AgentLogin{"1001", "u2", "", "", ""}));
  EXPECT_FALSE(m.remove(Kind::user, "u1"));
  EXPECT_EQ(code(m.remove(Kind::user, "u2")), ErrorCode::conflict);
  EXPECT_FALSE(m.remove(Kind::place, "p1"));
  // A peer's newer version of the login names 2001 as its DN: 2001 is now in use.
  ASSERT_FALSE(m.create(Place{"p2", {"2001"}}));
  const ConfigRecord rec{"login/1001", Stamp{m.clock().last() + 1000, "b", 9}, false,
                         R"({"code":"1001","user":"u2","dn":"2001"})"};
  ASSERT_EQ(m.apply(rec), ApplyResult::accepted);
  ASSERT_FALSE(m.update(Place{"p2", {}}));  // the login names no place and no peer DN: allowed
  const auto err = m.remove(Kind::dn, "2001");
  ASSERT_TRUE(err);
  EXPECT_EQ(err->message, "DN '2001' is used by Agent Login '1001'");
}

TEST_F(ModelRules, VersionsComeFromTheVersionSource) {
  std::uint64_t seq = 41;
  m.set_version_source([&] { return ++seq; });
  ASSERT_FALSE(m.create(User{"u2", ""}));
  ASSERT_FALSE(m.remove(Kind::user, "u2"));
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].stamp.version, 42u);
  EXPECT_EQ(records[1].stamp.version, 43u);
  EXPECT_GT(records[1].stamp.hlc, records[0].stamp.hlc);  // the HLC moves on within one ms
}

TEST_F(ModelRules, InvalidIdIsRefused) {
  auto err = m.create(User{"a/b", ""});
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code, ErrorCode::invalid);
}

}  // namespace
}  // namespace duet::agents

namespace duet::agents {
namespace {

// The replication layer may number the record itself (its per-origin sequence): the model keeps
// that number, so that forget_tombstones() after the peer's ACK finds the tombstone.
TEST(ChangeHook, VersionReturnedByTheHookIsKept) {
  ConfigModel m("a");
  std::uint64_t seq = 500;
  m.set_change_hook([&](const ConfigRecord&) { return ++seq; });
  ASSERT_FALSE(m.create(User{"u", ""}));
  EXPECT_EQ(m.find(Kind::user, "u")->stamp.version, 501u);
  ASSERT_FALSE(m.remove(Kind::user, "u"));
  EXPECT_EQ(m.tombstones(Kind::user).at("u").version, 502u);
  EXPECT_EQ(m.forget_tombstones("a", 502), 1u);
}

}  // namespace
}  // namespace duet::agents
