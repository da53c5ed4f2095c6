// The [api] section of the daemon's config (src/config) and the agent sections it lets through.
#include <gtest/gtest.h>

#include "config/config.hpp"

namespace duet::config {
namespace {

std::string error_of(const std::string& text) {
  try {
    parse_config(text, "duet.toml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "<ok>";
}

TEST(ApiConfig, DefaultsAndValues) {
  const auto d = parse_config("", "duet.toml");
  EXPECT_EQ(d.api.ip, "127.0.0.1");
  EXPECT_EQ(d.api.port, 8080);
  EXPECT_EQ(d.api.token, "");
  const auto c = parse_config("[api]\nlisten = \"[::1]:9090\"\ntoken = \"abc\"\n", "duet.toml");
  EXPECT_EQ(c.api.ip, "::1");
  EXPECT_EQ(c.api.port, 9090);
  EXPECT_EQ(c.api.token, "abc");
  EXPECT_EQ(parse_config("[api]\nlisten = \"0.0.0.0:8080\"\ntoken = \"t\"\n", "duet.toml").api.ip, "0.0.0.0");
}

TEST(ApiConfig, BeyondLoopbackWithoutTokenIsRefused) {
  EXPECT_EQ(error_of("site_name = \"a\"\n[api]\nlisten = \"0.0.0.0:8080\"\n"),
            "duet.toml:3: key 'api.listen': 0.0.0.0 is beyond loopback: set api.token");
  Config c;
  c.api.ip = "10.1.1.1";
  EXPECT_THROW(validate(c, "command line"), ConfigError);
}

TEST(ApiConfig, ErrorsNameLineAndKey) {
  EXPECT_EQ(error_of("[api]\nlisten = 8080\n"),
            "duet.toml:2: key 'api.listen': expected a string like \"127.0.0.1:8080\", got integer");
  EXPECT_NE(error_of("[api]\nlisten = \"127.0.0.1\"\n").find("duet.toml:2: key 'api.listen':"),
            std::string::npos);
  EXPECT_EQ(error_of("[api]\ntokn = \"x\"\n"), "duet.toml:2: key 'api.tokn': unknown key");
}

TEST(ApiConfig, AgentSectionsAreLeftToSrcAgents) {
  const auto c = parse_config(
      "[[dns]]\nnumber = \"1001\"\n[[places]]\nname = \"p\"\ndns = [\"1001\"]\n[[users]]\nid = \"u\"\n"
      "[[agent_logins]]\ncode = \"1\"\nuser = \"u\"\n",
      "duet.toml");
  EXPECT_EQ(c.api.port, 8080);
}

TEST(IsLoopbackIp, Ranges) {
  EXPECT_TRUE(is_loopback_ip("127.0.0.2"));
  EXPECT_TRUE(is_loopback_ip("::1"));
  EXPECT_FALSE(is_loopback_ip("::"));
  EXPECT_FALSE(is_loopback_ip("192.168.1.1"));
}

}  // namespace
}  // namespace duet::config
