// [site] and [peer]: accepted values, defaults, and errors that name the file, line and key.
#include <gtest/gtest.h>

#include "config/config.hpp"

namespace duet::config {
namespace {

std::string error_of(const std::string& text) {
  try {
    parse_config(text, "t.toml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(PeerConfig, AbsentMeansSingleSite) {
  const Config c = parse_config("workers = 1\n", "t.toml");
  EXPECT_FALSE(c.peer.enabled);
  EXPECT_EQ(c.site_name, "local");
}

TEST(PeerConfig, FullSection) {
  const Config c = parse_config(R"([site]
name = "a"
[peer]
name = "b"
replication = "127.0.0.2:7070"
sip = "sip:127.0.0.2:5060"
listen = "127.0.0.1:7071"
heartbeat_ms = 100
down_after_ms = 500
)",
                                "t.toml");
  EXPECT_EQ(c.site_name, "a");
  ASSERT_TRUE(c.peer.enabled);
  EXPECT_EQ(c.peer.name, "b");
  EXPECT_EQ(c.peer.replication_ip, "127.0.0.2");
  EXPECT_EQ(c.peer.replication_port, 7070);
  EXPECT_EQ(c.peer.sip, "sip:127.0.0.2:5060");
  EXPECT_EQ(c.peer.listen_ip, "127.0.0.1");
  EXPECT_EQ(c.peer.listen_port, 7071);
  EXPECT_EQ(c.peer.heartbeat_ms, 100u);
  EXPECT_EQ(c.peer.down_after_ms, 500u);
}

TEST(PeerConfig, DefaultsAndOldSiteNameKey) {
  const Config c =
      parse_config("site_name = \"x\"\n[peer]\nname = \"y\"\nreplication = \"[::1]:7000\"\n", "t.toml");
  EXPECT_EQ(c.site_name, "x");
  EXPECT_EQ(c.peer.replication_ip, "::1");
  EXPECT_EQ(c.peer.heartbeat_ms, 200u);
  EXPECT_EQ(c.peer.down_after_ms, 1000u);
  EXPECT_EQ(c.peer.listen_ip, "127.0.0.1");
  EXPECT_EQ(c.peer.listen_port, 7070);
}

TEST(PeerConfig, ErrorsNameFileLineAndKey) {
  EXPECT_EQ(error_of("[peer]\nreplication = \"127.0.0.2:7070\"\n"),
            "t.toml:1: key 'peer.name': required in [peer] (the peer's site name)");
  EXPECT_EQ(error_of("[site]\nname = \"a\"\n[peer]\nname = \"a\"\nreplication = \"127.0.0.2:7070\"\n"),
            "t.toml:4: key 'peer.name': 'a' is this site's own name (site.name)");
  EXPECT_NE(
      error_of("[peer]\nname = \"b\"\nreplication = \"nowhere\"\n").find("t.toml:3: key 'peer.replication'"),
      std::string::npos);
  EXPECT_EQ(error_of("[peer]\nname = \"b\"\nreplication = 7070\n"),
            "t.toml:3: key 'peer.replication': expected a string like \"127.0.0.2:7070\", got integer");
  EXPECT_EQ(error_of("[peer]\nname = \"b\"\nreplication = \"127.0.0.2:7070\"\nheartbeat_ms = 2000\n"),
            "t.toml:1: key 'peer.down_after_ms': must be larger than heartbeat_ms (2000)");
  EXPECT_EQ(error_of("[peer]\nname = \"b\"\nreplication = \"127.0.0.2:7070\"\nsip = \"127.0.0.2\"\n"),
            "t.toml:4: key 'peer.sip': expected a sip: or sips: URI, got '127.0.0.2'");
  EXPECT_EQ(error_of("[peer]\nname = \"b\"\nreplication = \"127.0.0.2:7070\"\nbogus = 1\n"),
            "t.toml:4: key 'peer.bogus': unknown key");
  EXPECT_EQ(error_of("site_name = \"a\"\n[site]\nname = \"b\"\n"),
            "t.toml:3: key 'site.name': 'b' differs from site_name 'a'");
  EXPECT_EQ(error_of("[peer]\nname = \"b\"\n"),
            "t.toml:1: key 'peer.replication': required in [peer] (the peer's replication address, e.g. "
            "\"127.0.0.2:7070\")");
}

}  // namespace
}  // namespace duet::config
