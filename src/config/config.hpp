// The daemon's configuration: what the TOML file says (see config/duet.example.toml), with the
// defaults of the embedded configuration for every key it leaves out.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "duet/transport/source.hpp"
#include "duet/transport/transport_config.hpp"

namespace duet::config {

struct Listener {
  transport::Proto proto = transport::Proto::udp;
  std::string ip;  // numeric, no brackets
  std::uint16_t port = 5060;
};

struct TlsConfig {
  std::string cert_file, key_file, ca_file;
  bool verify_peer = false;
  bool verify_server = true;  // connections we open: the server's certificate and name checked
};

struct LimitsConfig {
  std::uint32_t idle_timeout_s = 300;
  std::uint32_t message_read_timeout_s = 20;  // a message begun on a stream must be whole this soon
  std::uint32_t max_connections = 50000;
  std::uint32_t max_connections_per_ip = 256;
  std::uint32_t max_outbound_connections = 1024;  // connections duet opens, per worker
  std::uint32_t max_message_size = 65535;
};

struct RegistrarConfig {
  std::vector<std::string> domains;  // empty: accept any domain
  std::vector<std::string> users;    // empty: accept any user
  std::uint32_t default_expires = 3600, min_expires = 60, max_expires = 86400;
  std::uint32_t max_contacts_per_aor = 16;
  std::uint16_t too_many_contacts_code = 503;
  std::uint32_t max_bindings = 2'000'000;  // all AORs of the site together; new ones past it get 503
};

// [api]: the HTTP API (src/api). Beyond loopback a token is required (validate()).
struct ApiConfig {
  std::string ip = "127.0.0.1";  // from listen = "ip:port" ("[::1]:8080" for IPv6)
  std::uint16_t port = 8080;
  std::string token;  // "Authorization: Bearer <token>"; empty: none asked (loopback only)
};

// [peer]: the other site of a two-site deployment (src/replication). Absent: a single site.
struct PeerConfig {
  bool enabled = false;        // a [peer] section was given
  std::string name;            // the peer's site name
  std::string replication_ip;  // the peer's replication address ("ip:port" in the file)
  std::uint16_t replication_port = 7070;
  std::string sip;                      // the trunk to the peer, e.g. "sip:127.0.0.2:5060"
  std::string sip_ip;                   // sip's host resolved when the file was read; "" if numeric
  std::string listen_ip = "127.0.0.1";  // our replication listener; we dial from this address
  std::uint16_t listen_port = 7070;
  std::uint32_t heartbeat_ms = 200;
  std::uint32_t down_after_ms = 1000;
  std::uint32_t change_log = 1u << 20;  // changes kept for resuming a cut link without a snapshot
  std::uint32_t batch_ms = 10;          // changes are sent in batches this often (lag against CPU per change)
  bool tls = false;      // the link runs TLS: [tls] cert_file and key_file, the peer checked against ca_file
  std::string tls_name;  // when set, the peer's certificate must carry this DNS name or IP address
};

// [continuity]: business continuity (src/continuity): what relogin and drain do.
struct ContinuityConfig {
  bool relog_keep_ready = true;           // relog_state = "keep" (true) or "not-ready"
  bool failback_when_idle = false;        // failback = "manual" (false) or "when-idle"
  std::uint16_t shutdown_code = 603;      // new INVITEs during a drain; a 3xx carries peer.sip
  std::uint32_t probe_interval_s = 0;     // OPTIONS to every binding this often; 0: no probing
  std::uint32_t probe_timeout_ms = 4000;  // unanswered this long: out of service
};

// [proxy]: the stateful proxy (src/proxy).
struct ProxyConfig {
  bool record_route = true;
  bool serial_by_q = true;  // forking = "serial-by-q" (true) or "parallel"
  std::uint32_t timer_c_s = 180;
  std::uint32_t t1_ms = 500, t2_ms = 4000, t4_ms = 5000;
  std::string outbound;           // "sip:host[:port]" or "sips:host": next hop for other domains; "" none
  std::string outbound_ip;        // outbound's host resolved when the file was read; "" if numeric or none
  bool cross_site_proxy = false;  // cross_site = "redirect" (302 to the peer) or "proxy" (its trunk)
  std::string forward = "off";    // dr-forward of DNs and profiles that set none: off | no-agent | oos
  std::uint32_t max_transactions = 524288;  // live, all workers together (one may hold them all)
  // Requests to fresh UDP destinations leave from a port of each worker's own (responses come
  // back to that worker without a hand-over); flows phones registered on keep the listener.
  bool worker_ports = true;
  // Name servers for next hops named by host (RFC 3263), "ip[:port]"; empty: /etc/resolv.conf's.
  std::vector<std::string> dns_servers;
};

// [[profiles]]: phones matched by User-Agent when their DN's mode is "auto" (src/continuity).
struct ProfileConfig {
  std::string name;
  std::string user_agent;       // regex (ECMAScript, case-insensitive), searched in the User-Agent
  std::string mode = "single";  // single | dual | active-backup
  std::string forward = "off";  // off | no-agent | oos
};

struct Config {
  std::string site_name = "local";  // also [site] name
  std::vector<Listener> listeners{{transport::Proto::udp, "127.0.0.1", 5060},
                                  {transport::Proto::tcp, "127.0.0.1", 5060}};
  unsigned workers = 0;  // 0 = one per core
  transport::WorkerScheduling worker_scheduling = transport::WorkerScheduling::batch;
  std::string log_level = "info";
  TlsConfig tls;
  LimitsConfig limits;
  RegistrarConfig registrar;
  ApiConfig api;
  PeerConfig peer;
  ContinuityConfig continuity;
  ProxyConfig proxy;
  std::vector<ProfileConfig> profiles;
  // What the file asks that is accepted but may not work as it stands ("FILE:LINE: key 'k': what"),
  // for the daemon to log: a gateway name without an address now (located again per call).
  std::vector<std::string> warnings;
  // [[dns]], [[places]], [[users]], [[agent_logins]] are read by src/agents (load_agents_file).
};

// A config that cannot be used. what() names the file, the line and the key when there is one:
// "duet.toml:12: key 'limits.idle_timeout_s': expected an integer, got a string".
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads and checks a TOML file. Throws ConfigError.
Config load_config(const std::string& path);
// Same, from text (name is used in messages in place of a file name).
Config parse_config(std::string_view toml_text, const std::string& name);

// Checks the cross-key rules (also after command-line overrides). Throws ConfigError; origin is
// the file name (or "command line") used in the message.
void validate(const Config& c, const std::string& origin);

// "udp:127.0.0.1:5060", "tcp:[::1]:5060", "tls:0.0.0.0:5061". Throws ConfigError.
Listener parse_listener(std::string_view text);
std::string to_string(const Listener& l);

// 127.0.0.0/8, ::1, ::ffff:127.x.y.z (numeric addresses only).
bool is_loopback_ip(const std::string& ip) noexcept;

// The log levels spdlog knows, as the config spells them.
bool valid_log_level(std::string_view level) noexcept;

transport::TransportConfig to_transport_config(const Config& c);

}  // namespace duet::config
