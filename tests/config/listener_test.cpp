// proto:ip:port, as in the config's listen array and on the command line.
#include <gtest/gtest.h>

#include "config/config.hpp"

namespace duet::config {
namespace {

TEST(Listener, Parses) {
  const auto a = parse_listener("udp:127.0.0.1:5060");
  EXPECT_EQ(a.proto, transport::Proto::udp);
  EXPECT_EQ(a.ip, "127.0.0.1");
  EXPECT_EQ(a.port, 5060);
  const auto b = parse_listener("TLS:[2001:db8::1]:5061");
  EXPECT_EQ(b.proto, transport::Proto::tls);
  EXPECT_EQ(b.ip, "2001:db8::1");
  EXPECT_EQ(to_string(b), "tls:[2001:db8::1]:5061");
  EXPECT_EQ(parse_listener("tcp:0.0.0.0:0").port, 0);
}

TEST(Listener, RefusesWhatCannotBeBound) {
  for (const char* bad :
       {"", "udp", "udp:127.0.0.1", "ws:127.0.0.1:80", "udp:::1:5060", "udp:[::1]:", "udp:1.2.3:5060",
        "udp:127.0.0.1:65536", "udp:127.0.0.1:50x", "udp:example.com:5060"}) {
    EXPECT_THROW(parse_listener(bad), ConfigError) << bad;
  }
}

}  // namespace
}  // namespace duet::config
