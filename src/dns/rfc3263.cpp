#include "duet/dns/rfc3263.hpp"

#include <netinet/in.h>

#include <strings.h>
#include <algorithm>
#include <cstring>

#include "duet/transport/address.hpp"

namespace duet::dns {

namespace {

using transport::Proto;

bool iequal(const std::string& a, const char* b) {
  return ::strcasecmp(a.c_str(), b) == 0;
}

std::uint16_t default_port(Proto p) {
  return p == Proto::tls ? 5061 : 5060;
}

// The SRV owner name of a transport (§4.1: "_sips._tcp", "_sip._tcp", "_sip._udp").
std::string srv_name(Proto p, const std::string& host) {
  switch (p) {
    case Proto::udp:
      return "_sip._udp." + host;
    case Proto::tcp:
      return "_sip._tcp." + host;
    case Proto::tls:
      return "_sips._tcp." + host;
  }
  return host;
}

// The transport of a NAPTR service field we can use (RFC 3263 §4.1: SIP+D2U, SIP+D2T, SIPS+D2T);
// a sips URI may use only SIPS+D2T.
bool naptr_transport(const Naptr& n, bool sips, Proto& out) {
  if (!iequal(n.flags, "s") || n.replacement.empty() || n.replacement == ".") return false;
  if (iequal(n.service, "SIPS+D2T")) {
    out = Proto::tls;
    return true;
  }
  if (sips) return false;
  if (iequal(n.service, "SIP+D2U")) {
    out = Proto::udp;
    return true;
  }
  if (iequal(n.service, "SIP+D2T")) {
    out = Proto::tcp;
    return true;
  }
  return false;
}

// RFC 2782: by priority; within one, a weighted random draw (weight 0 entries come last, in a
// random order of their own only through the draw of what is left).
std::vector<Srv> order_srv(std::vector<Srv> in, std::minstd_rand& rng) {
  std::stable_sort(in.begin(), in.end(), [](const Srv& a, const Srv& b) { return a.priority < b.priority; });
  std::vector<Srv> out;
  out.reserve(in.size());
  std::size_t i = 0;
  while (i < in.size()) {
    std::size_t end = i;
    while (end < in.size() && in[end].priority == in[i].priority) ++end;
    std::vector<Srv> group(in.begin() + static_cast<std::ptrdiff_t>(i),
                           in.begin() + static_cast<std::ptrdiff_t>(end));
    // Zero weights first in the list, as RFC 2782 suggests, so they have a small chance only.
    std::stable_partition(group.begin(), group.end(), [](const Srv& s) { return s.weight == 0; });
    while (!group.empty()) {
      std::uint32_t total = 0;
      for (const auto& s : group) total += s.weight;
      const std::uint32_t pick = total == 0 ? 0 : std::uniform_int_distribution<std::uint32_t>(0, total)(rng);
      std::uint32_t run = 0;
      std::size_t k = 0;
      for (; k < group.size(); ++k) {
        run += group[k].weight;
        if (run >= pick) break;
      }
      if (k == group.size()) k = group.size() - 1;
      out.push_back(std::move(group[k]));
      group.erase(group.begin() + static_cast<std::ptrdiff_t>(k));
    }
    i = end;
  }
  return out;
}

struct Walk {
  Backend& b;
  Answer& a;
  bool failed = false;  // some lookup failed temporarily

  void lower(std::uint32_t ttl) { a.ttl = std::min(a.ttl, ttl); }

  // A/AAAA of host, each address a hop of proto at port.
  void add_addresses(const std::string& host, Proto proto, std::uint16_t port) {
    std::vector<sockaddr_storage> addrs;
    std::uint32_t ttl = kMaxTtl;
    if (!b.addresses(host, addrs, ttl)) {
      failed = true;
      return;
    }
    lower(ttl);
    for (auto& s : addrs) {
      Hop h;
      h.proto = proto;
      h.addr = s;
      transport::set_sockaddr_port(h.addr, port);
      a.hops.push_back(h);
    }
  }

  // SRV of name, then the addresses of each server. False if the name has no SRV records.
  bool add_srv(const std::string& name, Proto proto, std::minstd_rand& rng) {
    std::vector<Srv> recs;
    std::uint32_t ttl = kMaxTtl;
    if (!b.srv(name, recs, ttl)) {
      failed = true;
      return false;
    }
    if (recs.empty()) return false;
    lower(ttl);
    for (const auto& s : order_srv(std::move(recs), rng)) {
      if (s.target.empty() || s.target == ".") continue;  // "decidedly not available" (RFC 2782)
      add_addresses(s.target, proto, s.port);
    }
    return true;
  }
};

bool numeric(const std::string& host) {
  sockaddr_storage a{};
  return transport::make_sockaddr(host, 0, a);
}

}  // namespace

bool transport_of(bool sips, const std::string& t, transport::Proto& out) noexcept {
  if (t.empty()) {
    out = sips ? Proto::tls : Proto::udp;
    return true;
  }
  if (iequal(t, "udp")) {
    if (sips) return false;  // sips needs TLS (RFC 3261 §19.1.2; RFC 5630)
    out = Proto::udp;
  } else if (iequal(t, "tcp")) {
    out = sips ? Proto::tls : Proto::tcp;
  } else if (iequal(t, "tls")) {
    out = Proto::tls;
  } else {
    return false;
  }
  return true;
}

Answer locate(const Query& q, Backend& b, std::minstd_rand& rng) {
  Answer a;
  a.ttl = kMaxTtl;
  Walk w{b, a};
  Proto proto;
  if (!transport_of(q.sips, q.transport, proto) ||
      (!q.transport.empty() && (q.usable & transport_bit(proto)) == 0)) {
    a.ttl = kNegativeTtl;
    return a;
  }
  // No transport named and the default one (UDP) not ours: TCP, as a client without UDP would.
  if (q.transport.empty() && (q.usable & transport_bit(proto)) == 0 && !q.sips) {
    if ((q.usable & transport_bit(Proto::tcp)) != 0) proto = Proto::tcp;
  }
  if (numeric(q.host)) {  // §4.1/§4.2: nothing to look up
    Hop h;
    h.proto = proto;
    transport::make_sockaddr(q.host, q.port != 0 ? q.port : default_port(proto), h.addr);
    a.hops.push_back(h);
    return a;
  }
  if (q.port != 0) {  // §4.2: a port means an A/AAAA lookup only, with the URI's transport or UDP/TLS
    w.add_addresses(q.host, proto, q.port);
  } else {
    // §4.1: the transport from NAPTR unless the URI names one; SRV for it; A/AAAA last.
    bool had_srv = false;
    if (!q.transport.empty()) {
      had_srv = w.add_srv(srv_name(proto, q.host), proto, rng);
    } else {
      std::vector<Naptr> naptrs;
      std::uint32_t ttl = kMaxTtl;
      if (!b.naptr(q.host, naptrs, ttl)) w.failed = true;
      std::stable_sort(naptrs.begin(), naptrs.end(), [](const Naptr& x, const Naptr& y) {
        return x.order != y.order ? x.order < y.order : x.preference < y.preference;
      });
      bool used_naptr = false;
      for (const auto& n : naptrs) {
        Proto p;
        if (!naptr_transport(n, q.sips, p) || (q.usable & transport_bit(p)) == 0) continue;
        used_naptr = true;
        w.lower(ttl);
        if (w.add_srv(n.replacement, p, rng)) {
          had_srv = true;
          if (!a.hops.empty()) break;
        }
      }
      if (!used_naptr) {
        // No usable NAPTR: SRV for each transport we speak, UDP first (§4.1), TLS only for sips.
        const std::vector<Proto> order =
            q.sips ? std::vector<Proto>{Proto::tls} : std::vector<Proto>{Proto::udp, Proto::tcp, Proto::tls};
        for (const Proto p : order) {
          if ((q.usable & transport_bit(p)) == 0) continue;
          if (w.add_srv(srv_name(p, q.host), p, rng)) {
            had_srv = true;  // even if every target is "." (not available): no A fallback
            if (!a.hops.empty()) break;
          }
        }
      }
    }
    // §4.2: no SRV records: the host's addresses, at the transport's default port.
    if (!had_srv && a.hops.empty()) w.add_addresses(q.host, proto, default_port(proto));
  }
  if (a.hops.empty()) {
    a.temporary = w.failed;
    a.ttl = std::min(a.ttl, w.failed ? kTemporaryTtl : kNegativeTtl);
  } else if (w.failed) {
    a.ttl = std::min(a.ttl, kTemporaryTtl);  // part of it is missing: look again soon
  }
  return a;
}

}  // namespace duet::dns
