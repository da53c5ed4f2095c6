// TOML to Config with toml11. Every error names the file, the line and the dotted key, because the
// person reading it is editing that file at 3 a.m.
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <toml.hpp>

#include <algorithm>
#include <initializer_list>
#include <limits>
#include <regex>
#include <sstream>

#include "config.hpp"
#include "duet/sip/uri.hpp"
#include "duet/sip/values.hpp"
#include "duet/transport/address.hpp"

namespace duet::config {

namespace {

// The host of a sip:/sips: URI given in the file, resolved now when it is a name: the proxy sends
// to addresses, and a lookup on a worker's loop would stall every call it carries. A name that
// does not resolve is an error here, at start, rather than calls failing later. "" when the host
// is already an address; otherwise the first address the resolver gives (A/AAAA: no SRV or NAPTR
// yet), or false with its error.
// The address of a SIP URI's host when it is a name (ip stays empty for a numeric host).
enum class HostLookup { ok, bad_uri, no_address };

HostLookup resolve_uri_host(const std::string& text, std::string& ip, std::string& error) {
  ip.clear();
  sip::Uri u;
  if (!sip::parse_uri(text, u)) {
    error = "'" + text + "' is not a SIP URI";
    return HostLookup::bad_uri;
  }
  const std::string host(!u.maddr.empty() ? u.maddr : u.host_unbracketed());
  in6_addr scratch{};
  if (inet_pton(AF_INET, host.c_str(), &scratch) == 1 || inet_pton(AF_INET6, host.c_str(), &scratch) == 1) {
    return HostLookup::ok;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0 || res == nullptr) {
    error = "cannot resolve '" + host + "': " + gai_strerror(rc);
    return HostLookup::no_address;
  }
  char buf[NI_MAXHOST];
  const int nrc = getnameinfo(res->ai_addr, res->ai_addrlen, buf, sizeof buf, nullptr, 0, NI_NUMERICHOST);
  freeaddrinfo(res);
  if (nrc != 0) {
    error = "cannot resolve '" + host + "': " + gai_strerror(nrc);
    return HostLookup::no_address;
  }
  ip = buf;
  return HostLookup::ok;
}

std::string type_name(const toml::value& v) {
  std::ostringstream s;
  s << v.type();
  return s.str();
}

class Reader {
 public:
  explicit Reader(std::string origin) : origin_(std::move(origin)) {}

  [[noreturn]] void fail(const toml::value& v, const std::string& key, const std::string& what) const {
    throw ConfigError(where(v, key, what));
  }

  std::string where(const toml::value& v, const std::string& key, const std::string& what) const {
    return origin_ + ":" + std::to_string(v.location().line()) + ": key '" + key + "': " + what;
  }

  // Refuses keys this version does not know: a typo must not silently fall back to a default.
  void only(const toml::value& table, const std::string& prefix,
            std::initializer_list<std::string_view> known) const {
    for (const auto& [k, v] : table.as_table()) {
      if (std::find(known.begin(), known.end(), k) == known.end()) fail(v, prefix + k, "unknown key");
    }
  }

  const toml::value* find(const toml::value& table, const std::string& key) const {
    const auto& t = table.as_table();
    const auto it = t.find(key);
    return it == t.end() ? nullptr : &it->second;
  }

  void get(const toml::value& table, const std::string& prefix, const std::string& key,
           std::string& out) const {
    const auto* v = find(table, key);
    if (!v) return;
    if (!v->is_string()) fail(*v, prefix + key, "expected a string, got " + type_name(*v));
    out = v->as_string().str;
  }

  void get(const toml::value& table, const std::string& prefix, const std::string& key, bool& out) const {
    const auto* v = find(table, key);
    if (!v) return;
    if (!v->is_boolean()) fail(*v, prefix + key, "expected true or false, got " + type_name(*v));
    out = v->as_boolean();
  }

  template <class U>
  void get(const toml::value& table, const std::string& prefix, const std::string& key, U& out,
           std::int64_t min, std::int64_t max) const {
    const auto* v = find(table, key);
    if (!v) return;
    if (!v->is_integer()) fail(*v, prefix + key, "expected an integer, got " + type_name(*v));
    const auto n = v->as_integer();
    if (n < min || n > max) {
      fail(*v, prefix + key,
           std::to_string(n) + " is out of range [" + std::to_string(min) + ", " + std::to_string(max) + "]");
    }
    out = static_cast<U>(n);
  }

  void get(const toml::value& table, const std::string& prefix, const std::string& key,
           std::vector<std::string>& out) const {
    const auto* v = find(table, key);
    if (!v) return;
    if (!v->is_array()) fail(*v, prefix + key, "expected an array of strings, got " + type_name(*v));
    out.clear();
    for (const auto& e : v->as_array()) {
      if (!e.is_string()) fail(e, prefix + key, "expected an array of strings, found " + type_name(e));
      if (e.as_string().str.empty()) fail(e, prefix + key, "empty string");
      out.push_back(e.as_string().str);
    }
  }

  const toml::value* section(const toml::value& root, const std::string& name) const {
    const auto* v = find(root, name);
    if (v && !v->is_table()) fail(*v, name, "expected a table [" + name + "], got " + type_name(*v));
    return v;
  }

  const std::string& origin() const { return origin_; }

 private:
  std::string origin_;
};

// "ip:port" (IPv6 in brackets) for the [peer] addresses.
void read_address(const Reader& r, const toml::value& t, const std::string& key, std::string& ip,
                  std::uint16_t& port) {
  const auto* v = r.find(t, key);
  if (!v) return;
  if (!v->is_string())
    r.fail(*v, "peer." + key, "expected a string like \"127.0.0.2:7070\", got " + type_name(*v));
  try {
    const auto l = parse_listener("tcp:" + v->as_string().str);
    ip = l.ip;
    port = l.port;
  } catch (const ConfigError& err) {
    r.fail(*v, "peer." + key, err.what());
  }
  if (port == 0) r.fail(*v, "peer." + key, "port 0 is not allowed here");
}

// [site] and [peer] (the replication engineer's keys).
void read_site_and_peer(const Reader& r, const toml::value& root, Config& c) {
  if (const auto* t = r.section(root, "site")) {
    r.only(*t, "site.", {"name"});
    if (const auto* v = r.find(*t, "name")) {
      const std::string before = c.site_name;
      r.get(*t, "site.", "name", c.site_name);
      if (c.site_name.empty()) r.fail(*v, "site.name", "empty");
      if (r.find(root, "site_name") && before != c.site_name)
        r.fail(*v, "site.name", "'" + c.site_name + "' differs from site_name '" + before + "'");
      if (c.site_name.size() > 255) r.fail(*v, "site.name", "longer than 255 bytes");
    }
  }
  const auto* t = r.section(root, "peer");
  if (!t) return;
  auto& p = c.peer;
  p.enabled = true;
  r.only(*t, "peer.",
         {"name", "replication", "sip", "listen", "heartbeat_ms", "down_after_ms", "change_log", "batch_ms",
          "tls", "tls_name"});
  r.get(*t, "peer.", "name", p.name);
  r.get(*t, "peer.", "sip", p.sip);
  read_address(r, *t, "replication", p.replication_ip, p.replication_port);
  read_address(r, *t, "listen", p.listen_ip, p.listen_port);
  r.get(*t, "peer.", "heartbeat_ms", p.heartbeat_ms, 10, 60000);
  r.get(*t, "peer.", "down_after_ms", p.down_after_ms, 50, 600000);
  r.get(*t, "peer.", "change_log", p.change_log, 1024, 1 << 26);
  r.get(*t, "peer.", "batch_ms", p.batch_ms, 1, 1000);
  r.get(*t, "peer.", "tls", p.tls);
  r.get(*t, "peer.", "tls_name", p.tls_name);
  const auto where = [&](const char* key) { return r.find(*t, key) ? r.find(*t, key) : t; };
  if (p.name.empty()) r.fail(*where("name"), "peer.name", "required in [peer] (the peer's site name)");
  if (p.name.size() > 255) r.fail(*where("name"), "peer.name", "longer than 255 bytes");
  if (p.name == c.site_name)
    r.fail(*where("name"), "peer.name", "'" + p.name + "' is this site's own name (site.name)");
  if (p.replication_ip.empty())
    r.fail(*t, "peer.replication",
           "required in [peer] (the peer's replication address, e.g. \"127.0.0.2:7070\")");
  if (!p.sip.empty() && p.sip.rfind("sip:", 0) != 0 && p.sip.rfind("sips:", 0) != 0)
    r.fail(*where("sip"), "peer.sip", "expected a sip: or sips: URI, got '" + p.sip + "'");
  if (std::string error; !p.sip.empty() && resolve_uri_host(p.sip, p.sip_ip, error) != HostLookup::ok)
    r.fail(*where("sip"), "peer.sip", error);
  if (p.heartbeat_ms >= p.down_after_ms)
    r.fail(*where("down_after_ms"), "peer.down_after_ms",
           "must be larger than heartbeat_ms (" + std::to_string(p.heartbeat_ms) + ")");
}

Config from_toml(const toml::value& root, const std::string& origin) {
  Reader r(origin);
  Config c;
  if (!root.is_table()) throw ConfigError(origin + ": not a TOML table");
  r.only(root, "",
         {"site_name", "workers", "worker_scheduling", "log_level", "listen", "tls", "limits", "registrar",
          "api", "site", "peer", "continuity", "proxy", "profiles",
          // agent configuration: read by src/agents from the same file
          "dns", "places", "users", "agent_logins"});
  r.get(root, "", "site_name", c.site_name);
  if (const auto* v = r.find(root, "site_name"); v && c.site_name.empty()) r.fail(*v, "site_name", "empty");
  r.get(root, "", "workers", c.workers, 0, 1024);
  if (const auto* v = r.find(root, "worker_scheduling")) {
    std::string s;
    r.get(root, "", "worker_scheduling", s);
    if (s == "batch") {
      c.worker_scheduling = transport::WorkerScheduling::batch;
    } else if (s == "normal") {
      c.worker_scheduling = transport::WorkerScheduling::normal;
    } else {
      r.fail(*v, "worker_scheduling", "'" + s + "' is not one of batch, normal");
    }
  }
  r.get(root, "", "log_level", c.log_level);
  if (const auto* v = r.find(root, "log_level"); v && !valid_log_level(c.log_level)) {
    r.fail(*v, "log_level",
           "'" + c.log_level + "' is not one of trace, debug, info, warn, error, critical, off");
  }
  if (const auto* v = r.find(root, "listen")) {
    if (!v->is_array() || v->as_array().empty())
      r.fail(*v, "listen", "expected a non-empty array of strings");
    c.listeners.clear();
    for (const auto& e : v->as_array()) {
      if (!e.is_string())
        r.fail(e, "listen", "expected a string like \"udp:127.0.0.1:5060\", got " + type_name(e));
      try {
        c.listeners.push_back(parse_listener(e.as_string().str));
      } catch (const ConfigError& err) {
        r.fail(e, "listen", err.what());
      }
    }
  }
  if (const auto* t = r.section(root, "tls")) {
    r.only(*t, "tls.", {"cert_file", "key_file", "ca_file", "verify_peer", "verify_server"});
    r.get(*t, "tls.", "cert_file", c.tls.cert_file);
    r.get(*t, "tls.", "key_file", c.tls.key_file);
    r.get(*t, "tls.", "ca_file", c.tls.ca_file);
    r.get(*t, "tls.", "verify_peer", c.tls.verify_peer);
    r.get(*t, "tls.", "verify_server", c.tls.verify_server);
  }
  if (const auto* t = r.section(root, "limits")) {
    r.only(*t, "limits.",
           {"idle_timeout_s", "message_read_timeout_s", "max_connections", "max_connections_per_ip",
            "max_message_size", "max_outbound_connections"});
    r.get(*t, "limits.", "idle_timeout_s", c.limits.idle_timeout_s, 1, 7 * 86400);
    r.get(*t, "limits.", "message_read_timeout_s", c.limits.message_read_timeout_s, 1, 3600);
    r.get(*t, "limits.", "max_connections", c.limits.max_connections, 1, 10'000'000);
    r.get(*t, "limits.", "max_connections_per_ip", c.limits.max_connections_per_ip, 1, 10'000'000);
    r.get(*t, "limits.", "max_outbound_connections", c.limits.max_outbound_connections, 1, 1'000'000);
    r.get(*t, "limits.", "max_message_size", c.limits.max_message_size, 1024, 1 << 20);
  }
  if (const auto* t = r.section(root, "registrar")) {
    r.only(*t, "registrar.",
           {"domains", "users", "default_expires", "min_expires", "max_expires", "max_contacts_per_aor",
            "too_many_contacts_code", "max_bindings"});
    r.get(*t, "registrar.", "domains", c.registrar.domains);
    r.get(*t, "registrar.", "users", c.registrar.users);
    constexpr std::int64_t kMaxExpires = std::numeric_limits<std::int32_t>::max();
    r.get(*t, "registrar.", "default_expires", c.registrar.default_expires, 1, kMaxExpires);
    r.get(*t, "registrar.", "min_expires", c.registrar.min_expires, 1, kMaxExpires);
    r.get(*t, "registrar.", "max_expires", c.registrar.max_expires, 1, kMaxExpires);
    r.get(*t, "registrar.", "max_contacts_per_aor", c.registrar.max_contacts_per_aor, 1, 1024);
    r.get(*t, "registrar.", "too_many_contacts_code", c.registrar.too_many_contacts_code, 400, 699);
    r.get(*t, "registrar.", "max_bindings", c.registrar.max_bindings, 1, 100'000'000);
    const auto& g = c.registrar;
    if (g.min_expires > g.default_expires || g.default_expires > g.max_expires) {
      const auto* v = r.find(*t, "default_expires");
      if (!v) v = r.find(*t, "min_expires");
      if (!v) v = r.find(*t, "max_expires");
      r.fail(*v, "registrar.default_expires",
             "need min_expires <= default_expires <= max_expires (have " + std::to_string(g.min_expires) +
                 ", " + std::to_string(g.default_expires) + ", " + std::to_string(g.max_expires) + ")");
    }
  }
  if (const auto* t = r.section(root, "api")) {
    r.only(*t, "api.", {"listen", "token"});
    if (const auto* v = r.find(*t, "listen")) {
      if (!v->is_string())
        r.fail(*v, "api.listen", "expected a string like \"127.0.0.1:8080\", got " + type_name(*v));
      try {
        const auto l = parse_listener("tcp:" + v->as_string().str);
        c.api.ip = l.ip;
        c.api.port = l.port;
      } catch (const ConfigError& err) {
        r.fail(*v, "api.listen", err.what());
      }
    }
    r.get(*t, "api.", "token", c.api.token);
    if (const auto* v = r.find(*t, "listen"); v && c.api.token.empty() && !is_loopback_ip(c.api.ip)) {
      r.fail(*v, "api.listen", c.api.ip + " is beyond loopback: set api.token");
    }
  }
  read_site_and_peer(r, root, c);
  if (const auto* t = r.section(root, "continuity")) {
    r.only(*t, "continuity.",
           {"relog_state", "failback", "shutdown_code", "probe_interval_s", "probe_timeout_ms"});
    r.get(*t, "continuity.", "probe_interval_s", c.continuity.probe_interval_s, 0, 86400);
    r.get(*t, "continuity.", "probe_timeout_ms", c.continuity.probe_timeout_ms, 500, 60000);
    if (c.continuity.probe_interval_s != 0 &&
        std::uint64_t{c.continuity.probe_interval_s} * 1000 <= c.continuity.probe_timeout_ms) {
      r.fail(
          *r.find(*t, "probe_interval_s"), "continuity.probe_interval_s",
          "must be longer than probe_timeout_ms (" + std::to_string(c.continuity.probe_timeout_ms) + " ms)");
    }
    std::string relog = "keep", failback = "manual";
    r.get(*t, "continuity.", "relog_state", relog);
    r.get(*t, "continuity.", "failback", failback);
    if (relog != "keep" && relog != "not-ready") {
      r.fail(*r.find(*t, "relog_state"), "continuity.relog_state",
             "'" + relog + "' is not keep or not-ready");
    }
    if (failback != "manual" && failback != "when-idle") {
      r.fail(*r.find(*t, "failback"), "continuity.failback", "'" + failback + "' is not manual or when-idle");
    }
    c.continuity.relog_keep_ready = relog == "keep";
    c.continuity.failback_when_idle = failback == "when-idle";
    r.get(*t, "continuity.", "shutdown_code", c.continuity.shutdown_code, 300, 699);
    const auto code = c.continuity.shutdown_code;
    if (code >= 400 && code < 500) {
      r.fail(*r.find(*t, "shutdown_code"), "continuity.shutdown_code",
             std::to_string(code) + ": use a 3xx (to the peer), 5xx or 6xx, not a 4xx");
    }
    if (code < 400 && !c.peer.enabled) {
      r.fail(*r.find(*t, "shutdown_code"), "continuity.shutdown_code",
             std::to_string(code) + " redirects to the peer: it needs a [peer] with sip");
    }
  }
  if (const auto* t = r.section(root, "proxy")) {
    auto& p = c.proxy;
    r.only(*t, "proxy.",
           {"record_route", "forking", "timer_c_s", "t1_ms", "t2_ms", "t4_ms", "outbound", "cross_site",
            "forward", "max_transactions", "worker_ports", "dns_servers"});
    r.get(*t, "proxy.", "worker_ports", p.worker_ports);
    r.get(*t, "proxy.", "record_route", p.record_route);
    std::string forking = "serial-by-q", cross = "redirect";
    r.get(*t, "proxy.", "forking", forking);
    if (forking != "serial-by-q" && forking != "parallel")
      r.fail(*r.find(*t, "forking"), "proxy.forking", "'" + forking + "' is not serial-by-q or parallel");
    p.serial_by_q = forking == "serial-by-q";
    r.get(*t, "proxy.", "timer_c_s", p.timer_c_s, 180, 3600);
    r.get(*t, "proxy.", "t1_ms", p.t1_ms, 50, 10000);
    r.get(*t, "proxy.", "t2_ms", p.t2_ms, 100, 60000);
    r.get(*t, "proxy.", "t4_ms", p.t4_ms, 100, 60000);
    if (p.t2_ms < p.t1_ms)
      r.fail(*r.find(*t, "t2_ms"), "proxy.t2_ms",
             "must not be less than t1_ms (" + std::to_string(p.t1_ms) + ")");
    r.get(*t, "proxy.", "outbound", p.outbound);
    if (!p.outbound.empty() && p.outbound.rfind("sip:", 0) != 0 && p.outbound.rfind("sips:", 0) != 0)
      r.fail(*r.find(*t, "outbound"), "proxy.outbound", "'" + p.outbound + "' is not a sip: or sips: URI");
    // A name is located per call (RFC 3263: a gateway domain may have SRV records and no address of
    // its own), so one without an address now is no reason to keep the site down; a URI that does
    // not parse is.
    std::string error;
    if (const auto got =
            p.outbound.empty() ? HostLookup::ok : resolve_uri_host(p.outbound, p.outbound_ip, error);
        got != HostLookup::ok) {
      if (got == HostLookup::bad_uri) r.fail(*r.find(*t, "outbound"), "proxy.outbound", error);
      c.warnings.push_back(r.where(*r.find(*t, "outbound"), "proxy.outbound",
                                   error + "; located by DNS (NAPTR, SRV, A/AAAA) when a call needs it"));
    }
    r.get(*t, "proxy.", "cross_site", cross);
    if (cross != "redirect" && cross != "proxy")
      r.fail(*r.find(*t, "cross_site"), "proxy.cross_site", "'" + cross + "' is not redirect or proxy");
    p.cross_site_proxy = cross == "proxy";
    r.get(*t, "proxy.", "forward", p.forward);
    if (p.forward != "off" && p.forward != "no-agent" && p.forward != "oos")
      r.fail(*r.find(*t, "forward"), "proxy.forward", "'" + p.forward + "' is not off, no-agent or oos");
    r.get(*t, "proxy.", "max_transactions", p.max_transactions, 1024, 16777216);
    r.get(*t, "proxy.", "dns_servers", p.dns_servers);
    for (const auto& server : p.dns_servers) {
      // "ip" or "ip:port", IPv4: what the system resolver's server list can take.
      const auto colon = server.find(':');
      sockaddr_storage a{};
      const std::string ip = server.substr(0, colon);
      const int port = colon == std::string::npos ? 53 : std::atoi(server.c_str() + colon + 1);
      if (!transport::make_sockaddr(ip, 53, a) || a.ss_family != AF_INET || port <= 0 || port > 65535)
        r.fail(*r.find(*t, "dns_servers"), "proxy.dns_servers",
               "'" + server + "' is not an IPv4 address[:port]");
    }
  }
  if (const auto* v = r.find(root, "profiles")) {
    if (!v->is_array()) r.fail(*v, "profiles", "expected [[profiles]] tables, got " + type_name(*v));
    std::size_t i = 0;
    for (const auto& t : v->as_array()) {
      const std::string pre = "profiles[" + std::to_string(i++) + "].";
      if (!t.is_table()) r.fail(t, pre.substr(0, pre.size() - 1), "expected a table, got " + type_name(t));
      r.only(t, pre, {"name", "user_agent", "mode", "forward"});
      ProfileConfig p;
      r.get(t, pre, "name", p.name);
      r.get(t, pre, "user_agent", p.user_agent);
      r.get(t, pre, "mode", p.mode);
      r.get(t, pre, "forward", p.forward);
      const auto where = [&](const char* k) { return r.find(t, k) ? r.find(t, k) : &t; };
      if (p.name.empty()) r.fail(*where("name"), pre + "name", "required (a name for the profile)");
      for (const auto& q : c.profiles) {
        if (q.name == p.name)
          r.fail(*where("name"), pre + "name", "profile '" + p.name + "' is defined twice");
      }
      if (p.user_agent.empty())
        r.fail(*where("user_agent"), pre + "user_agent", "required (a User-Agent pattern)");
      try {
        std::regex re(p.user_agent, std::regex::ECMAScript | std::regex::icase);
      } catch (const std::regex_error& e) {
        r.fail(*where("user_agent"), pre + "user_agent",
               "not a valid regular expression: " + std::string(e.what()));
      }
      if (p.mode != "single" && p.mode != "dual" && p.mode != "active-backup") {
        r.fail(*where("mode"), pre + "mode", "'" + p.mode + "' is not single, dual or active-backup");
      }
      if (p.forward != "off" && p.forward != "no-agent" && p.forward != "oos") {
        r.fail(*where("forward"), pre + "forward", "'" + p.forward + "' is not off, no-agent or oos");
      }
      c.profiles.push_back(std::move(p));
    }
  }
  validate(c, origin);
  return c;
}

}  // namespace

bool is_loopback_ip(const std::string& ip) noexcept {
  in_addr a4{};
  if (inet_pton(AF_INET, ip.c_str(), &a4) == 1) return (ntohl(a4.s_addr) >> 24) == 127;
  in6_addr a6{};
  if (inet_pton(AF_INET6, ip.c_str(), &a6) == 1) {
    return IN6_IS_ADDR_LOOPBACK(&a6) || (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
  }
  return false;
}

void validate(const Config& c, const std::string& origin) {
  if (c.listeners.empty()) throw ConfigError(origin + ": key 'listen': no listeners");
  const bool tls = std::any_of(c.listeners.begin(), c.listeners.end(),
                               [](const Listener& l) { return l.proto == transport::Proto::tls; });
  if (tls && c.tls.cert_file.empty()) {
    throw ConfigError(origin + ": key 'tls.cert_file': required by the tls listener");
  }
  if (tls && c.tls.key_file.empty())
    throw ConfigError(origin + ": key 'tls.key_file': required by the tls listener");
  if (c.tls.verify_peer && c.tls.ca_file.empty()) {
    throw ConfigError(origin + ": key 'tls.ca_file': required when tls.verify_peer is true");
  }
  if (c.peer.enabled && c.peer.tls) {
    // Both ends present a certificate and check the other's: a link between two sites carries
    // every registration and agent, so an unchecked peer would be an open door.
    for (const auto& [key, value] :
         {std::pair<const char*, const std::string*>{"tls.cert_file", &c.tls.cert_file},
          {"tls.key_file", &c.tls.key_file},
          {"tls.ca_file", &c.tls.ca_file}}) {
      if (value->empty()) throw ConfigError(origin + ": key '" + key + "': required by peer.tls");
    }
  }
  if (!c.peer.tls_name.empty() && !c.peer.tls) {
    throw ConfigError(origin + ": key 'peer.tls_name': needs peer.tls = true");
  }
  if (!valid_log_level(c.log_level)) {
    throw ConfigError(origin + ": key 'log_level': '" + c.log_level + "' is not a log level");
  }
  // A next hop configured by URI is reached from a listener of its transport (our Via and
  // Record-Route name it): without one the proxy could not use the hop at all.
  for (const auto& [key, uri] :
       {std::pair<const char*, const std::string*>{"proxy.outbound", &c.proxy.outbound},
        {"peer.sip", &c.peer.sip}}) {
    sip::Uri u;
    if (uri->empty() || !sip::parse_uri(*uri, u)) continue;
    auto proto = transport::Proto::udp;
    const char* name = "udp";
    if (u.scheme == sip::UriScheme::sips || sip::iequals(u.transport, "tls")) {
      proto = transport::Proto::tls;
      name = "tls";
    } else if (sip::iequals(u.transport, "tcp")) {
      proto = transport::Proto::tcp;
      name = "tcp";
    }
    const bool have = std::any_of(c.listeners.begin(), c.listeners.end(),
                                  [proto](const Listener& l) { return l.proto == proto; });
    if (!have) {
      throw ConfigError(origin + ": key '" + key + "': '" + *uri + "' needs a " + name +
                        " listener (listen)");
    }
  }
  if (c.api.token.empty() && !is_loopback_ip(c.api.ip)) {
    throw ConfigError(origin + ": key 'api.token': required when api.listen (" + c.api.ip +
                      ") is beyond loopback");
  }
}

Config parse_config(std::string_view text, const std::string& name) {
  std::istringstream in{std::string(text)};
  toml::value root;
  try {
    root = toml::parse(in, name);
  } catch (const toml::syntax_error& e) {
    throw ConfigError(name + ":" + std::to_string(e.location().line()) + ": TOML syntax error:\n" + e.what());
  }
  return from_toml(root, name);
}

Config load_config(const std::string& path) {
  toml::value root;
  try {
    root = toml::parse(path);
  } catch (const toml::syntax_error& e) {
    throw ConfigError(path + ":" + std::to_string(e.location().line()) + ": TOML syntax error:\n" + e.what());
  } catch (const std::runtime_error& e) {  // cannot open
    throw ConfigError(path + ": " + e.what());
  }
  return from_toml(root, path);
}

}  // namespace duet::config
