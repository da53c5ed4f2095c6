// The TOML sections: what loads, and errors that name the file, the line and the key.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "duet/agents/toml_loader.hpp"

namespace duet::agents {
namespace {

std::string load_error(const std::string& text) {
  ConfigModel m("a");
  try {
    parse_agents_toml(m, text, "duet.toml");
  } catch (const LoadError& e) {
    return e.what();
  }
  return "<loaded>";
}

constexpr const char* kGood = R"(site_name = "a"
[[dns]]
number = "1001"
[[dns]]
number = "2001"
mode = "dual"
[[dns]]
number = "7000"
type = "acd_queue"
[[places]]
name = "place-1001"
dns = ["1001", "2001"]
[[users]]
id = "u1001"
name = "Agent 1001"
[[agent_logins]]
code = "1001"
user = "u1001"
place = "place-1001"
dn = "1001"
peer_dn = "2001"
)";

TEST(TomlLoader, LoadsEverySection) {
  ConfigModel m("a");
  parse_agents_toml(m, kGood, "duet.toml");
  EXPECT_EQ(m.table(Kind::dn).size(), 3u);
  EXPECT_EQ(std::get<Dn>(m.find(Kind::dn, "2001")->object).mode, RegistrationMode::dual);
  EXPECT_EQ(std::get<Dn>(m.find(Kind::dn, "7000")->object).type, DnType::acd_queue);
  EXPECT_EQ(std::get<Place>(m.find(Kind::place, "place-1001")->object).dns.size(), 2u);
  EXPECT_EQ(std::get<AgentLogin>(m.find(Kind::login, "1001")->object).peer_dn, "2001");
  EXPECT_EQ(m.find(Kind::user, "u1001")->stamp.hlc, 0u);  // the file loses to any run-time change
}

TEST(TomlLoader, NoSectionsIsAnEmptyModel) {
  ConfigModel m("a");
  parse_agents_toml(m, "workers = 2\n", "duet.toml");
  EXPECT_EQ(m.size(), 0u);
}

TEST(TomlLoader, MissingUserNamesLineAndKey) {
  std::string t = kGood;
  t.replace(t.find("user = \"u1001\""), 14, "user = \"u9\"");
  EXPECT_EQ(
      load_error(t),
      "duet.toml:18: key 'agent_logins[0].user': Agent Login '1001' names User 'u9', which does not exist");
}

TEST(TomlLoader, NonExtensionAgentDn) {
  std::string t = kGood;
  t.replace(t.find("dns = [\"1001\", \"2001\"]"), 22, "dns = [\"1001\", \"2001\", \"7000\"]");
  t.replace(t.find("peer_dn = \"2001\""), 16, "peer_dn = \"7000\"");
  const auto e = load_error(t);
  EXPECT_NE(
      e.find(
          "duet.toml:21: key 'agent_logins[0].peer_dn': DN '7000' is of type acd_queue: only Extension DNs"),
      std::string::npos)
      << e;
}

TEST(TomlLoader, ShapeErrorsPointAtTheField) {
  EXPECT_EQ(load_error("[[dns]]\nnumber = \"1\"\ntype = \"fax\"\n"),
            "duet.toml:3: key 'dns[0].type': 'type' must be one of extension, acd_queue, cpp, not 'fax'");
  EXPECT_EQ(load_error("[[users]]\nid = 12\n"), "duet.toml:2: key 'users[0].id': 'id' must be a string");
  EXPECT_EQ(load_error("[[users]]\nid = \"u\"\nnmae = \"x\"\n"),
            "duet.toml:3: key 'users[0].nmae': unknown field 'nmae'");
  EXPECT_EQ(load_error("dns = \"1001\"\n"), "duet.toml:1: key 'dns': expected an array of tables [[dns]]");
}

TEST(TomlLoader, DuplicatesNameBothLines) {
  EXPECT_EQ(load_error("[[users]]\nid = \"u\"\n[[users]]\nid = \"u\"\n"),
            "duet.toml:4: key 'users[1].id': User 'u' is defined twice (first at line 1)");
}

TEST(TomlLoader, EveryProblemIsReported) {
  const auto e = load_error(
      "[[places]]\nname = \"p\"\ndns = [\"1\"]\n[[agent_logins]]\ncode = \"c\"\nuser = \"nobody\"\n");
  EXPECT_NE(e.find("duet.toml:3: key 'places[0].dns[0]'"), std::string::npos) << e;
  EXPECT_NE(e.find("duet.toml:6: key 'agent_logins[0].user'"), std::string::npos) << e;
}

TEST(TomlLoader, SyntaxErrorAndMissingFile) {
  EXPECT_NE(load_error("[[dns]\n").find("duet.toml:1: TOML syntax error"), std::string::npos);
  ConfigModel m("a");
  EXPECT_THROW(load_agents_file(m, "/nonexistent/duet.toml"), LoadError);
}

}  // namespace
}  // namespace duet::agents

namespace duet::agents {
namespace {

// The commented-out agent sections of config/duet.example.toml, uncommented, load cleanly: the
// documentation cannot drift from what the loader accepts.
TEST(TomlLoader, ExampleConfigSectionsLoad) {
  std::ifstream in(DUET_EXAMPLE_CONFIG);
  ASSERT_TRUE(in) << DUET_EXAMPLE_CONFIG;
  // Only commented TOML ("# [[dns]]", "# key = value") is uncommented, not the prose around it.
  const std::regex kTomlLine(R"(# (\[\[\w+\]\]|\w+ = .*))");
  std::string line, text;
  bool agents = false, in_block = false;
  while (std::getline(in, line)) {
    if (line == "# [[dns]]") agents = in_block = true;
    if (line.empty()) in_block = false;  // the agent block ends at the first blank line
    if (in_block && std::regex_match(line, kTomlLine)) line = line.substr(2);
    text += line + '\n';
  }
  ASSERT_TRUE(agents);
  ConfigModel m("a");
  parse_agents_toml(m, text, "duet.example.toml");
  EXPECT_EQ(m.table(Kind::dn).size(), 2u);
  EXPECT_EQ(std::get<Dn>(m.find(Kind::dn, "2001")->object).mode, RegistrationMode::active_backup);
  EXPECT_EQ(std::get<AgentLogin>(m.find(Kind::login, "1001")->object).peer_dn, "2001");
}

}  // namespace
}  // namespace duet::agents
