#include <charconv>

#include "config.hpp"
#include "duet/sip/values.hpp"
#include "duet/transport/address.hpp"

namespace duet::config {

Listener parse_listener(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return ConfigError("listen '" + std::string(text) + "': " + std::string(why) +
                       " (want proto:ip:port, e.g. udp:127.0.0.1:5060 or tls:[::1]:5061)");
  };
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) throw bad("no protocol");
  const auto proto = text.substr(0, colon);
  Listener l;
  if (sip::iequals(proto, "udp")) {
    l.proto = transport::Proto::udp;
  } else if (sip::iequals(proto, "tcp")) {
    l.proto = transport::Proto::tcp;
  } else if (sip::iequals(proto, "tls")) {
    l.proto = transport::Proto::tls;
  } else {
    throw bad("unknown protocol '" + std::string(proto) + "' (udp, tcp or tls)");
  }
  const auto rest = text.substr(colon + 1);
  const auto port_colon = rest.rfind(':');
  if (port_colon == std::string_view::npos) throw bad("no port");
  auto ip = rest.substr(0, port_colon);
  const auto port_text = rest.substr(port_colon + 1);
  if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']') {
    ip = ip.substr(1, ip.size() - 2);
  } else if (ip.find(':') != std::string_view::npos) {
    throw bad("an IPv6 address must be in brackets");
  }
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || end != port_text.data() + port_text.size() || port > 65535) throw bad("bad port");
  sockaddr_storage probe{};
  if (!transport::make_sockaddr(ip, static_cast<std::uint16_t>(port), probe)) {
    throw bad("'" + std::string(ip) + "' is not a numeric IPv4 or IPv6 address");
  }
  l.ip = std::string(ip);
  l.port = static_cast<std::uint16_t>(port);
  return l;
}

std::string to_string(const Listener& l) {
  std::string s(transport::proto_name(l.proto));
  s += ':';
  if (l.ip.find(':') != std::string::npos) {
    s += '[' + l.ip + ']';
  } else {
    s += l.ip;
  }
  return s + ':' + std::to_string(l.port);
}

bool valid_log_level(std::string_view level) noexcept {
  for (std::string_view known : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
    if (level == known) return true;
  }
  return false;
}

transport::TransportConfig to_transport_config(const Config& c) {
  transport::TransportConfig t;
  for (const auto& l : c.listeners) t.listeners.push_back({l.proto, l.ip, l.port});
  t.workers = c.workers;
  t.worker_scheduling = c.worker_scheduling;
  t.tls = {c.tls.cert_file, c.tls.key_file, c.tls.ca_file, c.tls.verify_peer, c.tls.verify_server};
  t.idle_timeout_ms = c.limits.idle_timeout_s * 1000u;
  t.message_read_timeout_ms = c.limits.message_read_timeout_s * 1000u;
  t.max_connections = c.limits.max_connections;
  t.max_connections_per_ip = c.limits.max_connections_per_ip;
  t.max_outbound_connections = c.limits.max_outbound_connections;
  t.max_message_size = c.limits.max_message_size;
  t.udp_worker_ports = c.proxy.worker_ports;
  return t;
}

}  // namespace duet::config
