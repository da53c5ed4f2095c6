// Loading TOML files: defaults, every key, and errors that say file:line and the key.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "config/config.hpp"

namespace duet::config {
namespace {

// A config file in a temporary directory, removed afterwards.
struct TempFile {
  explicit TempFile(const std::string& text) {
    char tmpl[] = "/tmp/duet-config-XXXXXX";
    const int fd = ::mkstemp(tmpl);
    path = tmpl;
    ::close(fd);
    std::ofstream(path) << text;
  }
  ~TempFile() { std::remove(path.c_str()); }
  std::string path;
};

// The message load_config throws for text, or "" if it loads.
std::string error_for(const std::string& text, std::string* path_out = nullptr) {
  TempFile f(text);
  if (path_out) *path_out = f.path;
  try {
    load_config(f.path);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

void expect_error(const std::string& text, int line, const std::string& key, const std::string& detail = "") {
  std::string path;
  const auto msg = error_for(text, &path);
  ASSERT_FALSE(msg.empty()) << "accepted:\n" << text;
  EXPECT_NE(msg.find(path + ":" + std::to_string(line) + ":"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'" + key + "'"), std::string::npos) << msg;
  if (!detail.empty()) {
    EXPECT_NE(msg.find(detail), std::string::npos) << msg;
  }
}

TEST(Config, EmptyFileGivesTheDefaults) {
  TempFile f("");
  const auto c = load_config(f.path);
  EXPECT_EQ(c.site_name, "local");
  ASSERT_EQ(c.listeners.size(), 2u);
  EXPECT_EQ(to_string(c.listeners[0]), "udp:127.0.0.1:5060");
  EXPECT_EQ(to_string(c.listeners[1]), "tcp:127.0.0.1:5060");
  EXPECT_EQ(c.limits.max_message_size, 65535u);
  EXPECT_EQ(c.registrar.default_expires, 3600u);
}

TEST(Config, EveryKeyIsRead) {
  TempFile f(R"(site_name = "paris"
workers = 3
log_level = "debug"
listen = ["udp:0.0.0.0:5060", "tls:[::1]:5061"]
[tls]
cert_file = "/etc/duet/cert.pem"
key_file = "/etc/duet/key.pem"
ca_file = "/etc/duet/ca.pem"
verify_peer = true
verify_server = false
[limits]
idle_timeout_s = 30
max_connections = 1000
max_connections_per_ip = 10
max_message_size = 8192
[registrar]
domains = ["example.com", "example.org"]
users = ["alice"]
default_expires = 600
min_expires = 30
max_expires = 7200
max_contacts_per_aor = 4
too_many_contacts_code = 403
)");
  const auto c = load_config(f.path);
  EXPECT_EQ(c.site_name, "paris");
  EXPECT_EQ(c.workers, 3u);
  EXPECT_EQ(c.log_level, "debug");
  ASSERT_EQ(c.listeners.size(), 2u);
  EXPECT_EQ(c.listeners[1].proto, transport::Proto::tls);
  EXPECT_EQ(c.listeners[1].ip, "::1");
  EXPECT_EQ(c.listeners[1].port, 5061);
  EXPECT_EQ(c.tls.ca_file, "/etc/duet/ca.pem");
  EXPECT_TRUE(c.tls.verify_peer);
  EXPECT_FALSE(c.tls.verify_server);
  EXPECT_TRUE(config::Config{}.tls.verify_server);  // checked unless turned off
  EXPECT_EQ(c.limits.idle_timeout_s, 30u);
  EXPECT_EQ(c.limits.max_connections_per_ip, 10u);
  EXPECT_EQ(c.registrar.domains.size(), 2u);
  EXPECT_EQ(c.registrar.users[0], "alice");
  EXPECT_EQ(c.registrar.min_expires, 30u);
  EXPECT_EQ(c.registrar.too_many_contacts_code, 403);
  const auto t = to_transport_config(c);
  EXPECT_EQ(t.idle_timeout_ms, 30'000u);
  EXPECT_EQ(t.max_message_size, 8192u);
  EXPECT_EQ(t.workers, 3u);
  EXPECT_EQ(t.listeners[0].ip, "0.0.0.0");
}

TEST(Config, TheExampleConfigLoads) {
  const auto c = load_config(DUET_EXAMPLE_CONFIG);
  EXPECT_FALSE(c.listeners.empty());
}

TEST(Config, WrongTypeNamesLineAndKey) {
  expect_error("site_name = \"x\"\n[limits]\nidle_timeout_s = \"300\"\n", 3, "limits.idle_timeout_s",
               "integer");
  expect_error("workers = true\n", 1, "workers", "integer");
  expect_error("\n[tls]\nverify_peer = 1\n", 3, "tls.verify_peer");
  expect_error("\n[tls]\nverify_server = \"no\"\n", 3, "tls.verify_server");
  expect_error("[registrar]\ndomains = [\"a\", 3]\n", 2, "registrar.domains");
}

TEST(Config, OutOfRangeNamesLineAndKey) {
  expect_error("[limits]\n\nmax_message_size = 10\n", 3, "limits.max_message_size", "out of range");
  expect_error("workers = -1\n", 1, "workers");
  expect_error("[registrar]\ntoo_many_contacts_code = 200\n", 2, "registrar.too_many_contacts_code");
}

// The proxy sends to addresses: a name in proxy.outbound or peer.sip is resolved when the file is
// read (not on a worker's loop); a peer.sip that does not resolve is refused there, naming the key.
TEST(Config, SipHostNamesAreResolvedWhenTheFileIsRead) {
  // localhost comes from /etc/hosts: the resolver's path with no DNS server needed.
  TempFile f(
      "[proxy]\noutbound = \"sip:localhost:5070;transport=udp\"\n"
      "[peer]\nname = \"b\"\nreplication = \"127.0.0.2:7070\"\nsip = \"sip:LocalHost\"\n");
  const Config c = load_config(f.path);
  EXPECT_EQ(c.proxy.outbound, "sip:localhost:5070;transport=udp");  // kept as written
  EXPECT_TRUE(c.proxy.outbound_ip == "127.0.0.1" || c.proxy.outbound_ip == "::1") << c.proxy.outbound_ip;
  EXPECT_EQ(c.peer.sip, "sip:LocalHost");  // the 302 to the peer carries it as written
  EXPECT_TRUE(c.peer.sip_ip == "127.0.0.1" || c.peer.sip_ip == "::1") << c.peer.sip_ip;
  // Addresses need no lookup.
  TempFile g(
      "[proxy]\noutbound = \"sip:10.0.0.1\"\n[peer]\nname = \"b\"\n"
      "replication = \"127.0.0.2:7070\"\nsip = \"sip:[::1]:5062\"\n");
  const Config d = load_config(g.path);
  EXPECT_EQ(d.proxy.outbound_ip, "");
  EXPECT_EQ(d.peer.sip_ip, "");
  expect_error("[proxy]\n\noutbound = \"sip:\"\n", 3, "proxy.outbound", "not a SIP URI");
  expect_error("[peer]\nname = \"b\"\nreplication = \"127.0.0.2:7070\"\nsip = \"sips:@\"\n", 4, "peer.sip",
               "not a SIP URI");
}

// A gateway's domain may have SRV records and no address of its own, and DNS may be down when the
// site starts: a proxy.outbound name without an address now is accepted, with a warning naming the
// line and key, and located per call. peer.sip is still resolved here, and refused when it fails.
TEST(Config, GatewayNameWithoutAnAddressIsAWarningNotAnError) {
  TempFile f("[proxy]\n\noutbound = \"sip:gw.invalid\"\n");
  const Config c = load_config(f.path);
  EXPECT_EQ(c.proxy.outbound, "sip:gw.invalid");
  EXPECT_EQ(c.proxy.outbound_ip, "");
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_NE(c.warnings[0].find(":3: key 'proxy.outbound': cannot resolve 'gw.invalid'"), std::string::npos)
      << c.warnings[0];
  EXPECT_NE(c.warnings[0].find("located by DNS"), std::string::npos) << c.warnings[0];
  EXPECT_TRUE(load_config(TempFile("[proxy]\noutbound = \"sip:127.0.0.1\"\n").path).warnings.empty());
  expect_error("[proxy]\noutbound = \"tel:+15551234\"\n", 2, "proxy.outbound", "not a sip: or sips: URI");
  expect_error("[peer]\nname = \"b\"\nreplication = \"127.0.0.2:7070\"\nsip = \"sip:peer.invalid\"\n", 4,
               "peer.sip", "cannot resolve");
}

// A gateway or peer trunk reached over a transport we do not listen on could never be used (our
// Via and Record-Route name the listener): refused at start, naming the key and what is missing.
TEST(Config, NextHopNeedsAListenerOfItsTransport) {
  std::string path;
  std::string msg =
      error_for("listen = [\"udp:127.0.0.1:5060\"]\n[proxy]\noutbound = \"sips:10.0.0.1\"\n", &path);
  EXPECT_NE(msg.find("key 'proxy.outbound'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("needs a tls listener"), std::string::npos) << msg;
  msg = error_for("listen = [\"tcp:127.0.0.1:5060\"]\n[proxy]\noutbound = \"sip:10.0.0.1\"\n", &path);
  EXPECT_NE(msg.find("needs a udp listener"), std::string::npos) << msg;
  msg = error_for(
      "listen = [\"udp:127.0.0.1:5060\"]\n[peer]\nname = \"b\"\nreplication = \"127.0.0.2:7070\"\n"
      "sip = \"sip:127.0.0.2;transport=tcp\"\n",
      &path);
  EXPECT_NE(msg.find("key 'peer.sip'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("needs a tcp listener"), std::string::npos) << msg;
  EXPECT_EQ(error_for("listen = [\"udp:127.0.0.1:5060\", \"tcp:127.0.0.1:5060\"]\n[proxy]\n"
                      "outbound = \"sip:10.0.0.1;transport=TCP\"\n",
                      &path),
            "");
}

TEST(Config, MessageReadTimeoutReachesTheTransport) {
  EXPECT_EQ(Config{}.limits.message_read_timeout_s, 20u);
  const Config c = load_config(TempFile("[limits]\nmessage_read_timeout_s = 5\n").path);
  EXPECT_EQ(to_transport_config(c).message_read_timeout_ms, 5000u);
  expect_error("[limits]\nmessage_read_timeout_s = 0\n", 2, "limits.message_read_timeout_s", "out of range");
}

TEST(Config, MaxBindingsIsReadAndRangeChecked) {
  EXPECT_EQ(Config{}.registrar.max_bindings, 2'000'000u);
  const Config c = load_config(TempFile("[registrar]\nmax_bindings = 5000\n").path);
  EXPECT_EQ(c.registrar.max_bindings, 5000u);
  expect_error("[registrar]\nmax_bindings = 0\n", 2, "registrar.max_bindings", "out of range");
}

TEST(Config, UnknownKeysAreRefused) {
  expect_error("site_name = \"a\"\nlisten_on = []\n", 2, "listen_on", "unknown key");
  expect_error("[limits]\nidle_timeout = 5\n", 2, "limits.idle_timeout", "unknown key");
}

TEST(Config, BadListenerNamesLineAndKey) {
  expect_error("listen = [\n  \"udp:127.0.0.1:5060\",\n  \"sctp:127.0.0.1:5060\",\n]\n", 3, "listen", "sctp");
  expect_error("listen = [\"udp:localhost:5060\"]\n", 1, "listen", "numeric");
  expect_error("listen = [\"udp:127.0.0.1:70000\"]\n", 1, "listen", "port");
  expect_error("listen = []\n", 1, "listen");
}

TEST(Config, BadLogLevel) {
  expect_error("log_level = \"loud\"\n", 1, "log_level", "loud");
}

TEST(Config, WorkerScheduling) {
  EXPECT_EQ(config::Config{}.worker_scheduling, transport::WorkerScheduling::batch);
  TempFile f("worker_scheduling = \"normal\"\n");
  const auto c = load_config(f.path);
  EXPECT_EQ(c.worker_scheduling, transport::WorkerScheduling::normal);
  EXPECT_EQ(config::to_transport_config(c).worker_scheduling, transport::WorkerScheduling::normal);
  TempFile b("worker_scheduling = \"batch\"\n");
  EXPECT_EQ(config::to_transport_config(load_config(b.path)).worker_scheduling,
            transport::WorkerScheduling::batch);
  expect_error("workers = 2\nworker_scheduling = \"fifo\"\n", 2, "worker_scheduling", "fifo");
  expect_error("worker_scheduling = 1\n", 1, "worker_scheduling");
}

TEST(Config, ExpiresMustBeOrdered) {
  expect_error("[registrar]\nmin_expires = 100\ndefault_expires = 50\n", 3, "registrar.default_expires");
}

TEST(Config, SectionThatIsNotATable) {
  expect_error("x = 1\n", 1, "x");
  expect_error("limits = 5\n", 1, "limits");
}

TEST(Config, TlsListenerNeedsCertAndKey) {
  std::string path;
  const auto msg = error_for("listen = [\"tls:127.0.0.1:5061\"]\n", &path);
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("'tls.cert_file'"), std::string::npos) << msg;
}

TEST(Config, SyntaxErrorNamesFileAndLine) {
  std::string path;
  const auto msg = error_for("site_name = \"a\"\nworkers = = 2\n", &path);
  EXPECT_NE(msg.find(path + ":2:"), std::string::npos) << msg;
}

TEST(Config, MissingFile) {
  try {
    load_config("/nonexistent/duet.toml");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/duet.toml"), std::string::npos);
  }
}

}  // namespace
}  // namespace duet::config

namespace duet::config {
namespace {

TEST(Config, ContinuityAndProfilesAreRead) {
  const auto c = parse_config(R"(
[peer]
name = "b"
replication = "127.0.0.2:7070"
sip = "sip:127.0.0.2:5060"
[continuity]
relog_state = "not-ready"
failback = "when-idle"
shutdown_code = 302
[[profiles]]
name = "soft"
user_agent = "^MySoft/"
mode = "dual"
forward = "oos"
)",
                              "t.toml");
  EXPECT_FALSE(c.continuity.relog_keep_ready);
  EXPECT_TRUE(c.continuity.failback_when_idle);
  EXPECT_EQ(c.continuity.shutdown_code, 302);
  ASSERT_EQ(c.profiles.size(), 1u);
  EXPECT_EQ(c.profiles[0].name, "soft");
  EXPECT_EQ(c.profiles[0].mode, "dual");
  EXPECT_EQ(c.profiles[0].forward, "oos");
  const auto d = parse_config("", "t.toml");
  EXPECT_TRUE(d.continuity.relog_keep_ready);
  EXPECT_FALSE(d.continuity.failback_when_idle);
  EXPECT_EQ(d.continuity.shutdown_code, 603);
}

TEST(Config, BadContinuityAndProfilesNameLineAndKey) {
  expect_error("[continuity]\nrelog_state = \"maybe\"\n", 2, "continuity.relog_state", "keep or not-ready");
  expect_error("[continuity]\nfailback = \"now\"\n", 2, "continuity.failback");
  expect_error("[continuity]\n\nshutdown_code = 486\n", 3, "continuity.shutdown_code", "4xx");
  expect_error("[continuity]\nshutdown_code = 302\n", 2, "continuity.shutdown_code", "[peer]");
  expect_error("[continuity]\ndrain = 1\n", 2, "continuity.drain", "unknown key");
  expect_error("[[profiles]]\nname = \"x\"\nuser_agent = \"(unclosed\"\n", 3, "profiles[0].user_agent",
               "regular expression");
  expect_error("[[profiles]]\nname = \"x\"\nuser_agent = \"a\"\nmode = \"twice\"\n", 4, "profiles[0].mode");
  expect_error("[[profiles]]\nname = \"x\"\nuser_agent = \"a\"\nforward = \"peer\"\n", 4,
               "profiles[0].forward");
  expect_error(
      "[[profiles]]\nname = \"x\"\nuser_agent = \"a\"\n[[profiles]]\nname = \"x\"\nuser_agent = \"b\"\n", 5,
      "profiles[1].name", "twice");
}

}  // namespace
}  // namespace duet::config
